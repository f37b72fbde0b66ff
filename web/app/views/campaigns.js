// Firmware campaigns: the list, and one campaign with its progress per wave and per station, and the
// operator's start, pause, resume and cancel.
import { html, useState } from "../lib.js";
import { api, listAll, segment } from "../api.js";
import { href } from "../router.js";
import { usePoll } from "../components/poll.js";
import { DataTable } from "../components/table.js";
import { Badge } from "../components/status.js";
import { ErrorNotice, Notice } from "../components/notice.js";
import { dateTime } from "../components/format.js";
import { OPERATIONS } from "../roles.js";

const STATES = ["pending", "downloading", "installing", "installed", "failed", "offline", "skipped"];
const DONE = ["installed", "failed", "offline", "skipped"];
const LIVE = ["running", "paused"];

function Campaigns() {
  const campaigns = usePoll(() => listAll("/firmware-campaigns", { maxPages: 5 }), { intervalMs: 15000 });
  const columns = [
    {
      key: "campaignId",
      label: "Campaign",
      render: (c) => html`<a href=${href(`/firmware/${segment(c.campaignId)}`)}>${c.campaignId}</a>`,
    },
    { key: "firmwareVersion", label: "Firmware" },
    { key: "status", label: "Status", render: (c) => html`<${Badge} value=${c.status} title=${c.statusDetail || undefined} />` },
    { key: "totalStations", label: "Stations", num: true },
    { key: "waveCount", label: "Waves", num: true },
    { key: "createdAt", label: "Created", render: (c) => dateTime(c.createdAt) },
    { key: "startedAt", label: "Started", render: (c) => dateTime(c.startedAt) },
    { key: "finishedAt", label: "Finished", render: (c) => dateTime(c.finishedAt) },
  ];
  return html`
    <h1>Firmware campaigns</h1>
    <${ErrorNotice} error=${campaigns.error} />
    <section class="card">
      <${DataTable} label="Campaigns" columns=${columns} rows=${campaigns.data?.items || []} rowKey=${(c) => c.campaignId}
        initialSort=${{ key: "createdAt", direction: "desc" }} pageSize=${25}
        empty=${campaigns.loading ? "Loading…" : "No campaigns yet (POST /v1/firmware-campaigns)."} />
    </section>
  `;
}

/** Per wave: how many of its stations are in each state. */
export function waves(stations) {
  const byWave = new Map();
  for (const station of stations) {
    const entry = byWave.get(station.wave) || { wave: station.wave, total: 0, ...Object.fromEntries(STATES.map((s) => [s, 0])) };
    entry.total += 1;
    entry[station.state] += 1;
    byWave.set(station.wave, entry);
  }
  return [...byWave.values()].sort((a, b) => a.wave - b.wave);
}

function Progress({ counts, total }) {
  const done = DONE.reduce((sum, state) => sum + counts[state], 0);
  return html`
    <div class="progress" role="img" aria-label=${`${done} of ${total} stations done`}>
      ${STATES.filter((state) => counts[state]).map(
        (state) => html`<span class=${`bar ${state}`} style=${{ flexGrow: counts[state] }} title=${`${state}: ${counts[state]}`}></span>`,
      )}
    </div>
    <dl class="counts">${STATES.map((state) => html`<div><dt>${state}</dt><dd data-state=${state}>${counts[state]}</dd></div>`)}</dl>
  `;
}

function Campaign({ params, user }) {
  const { campaignId } = params;
  const [result, setResult] = useState(null);
  const detail = usePoll(() => api(`/firmware-campaigns/${segment(campaignId)}`, { query: { limit: 100 } }), {
    deps: [campaignId],
    intervalMs: (data) => (data && data.status !== "created" && !LIVE.includes(data.status) ? 30000 : 3000),
  });
  const act = async (action) => {
    setResult(null);
    try {
      await api(`/firmware-campaigns/${segment(campaignId)}/${action}`, { method: "POST" });
      setResult({ action });
      detail.reload();
    } catch (error) {
      setResult({ error });
    }
  };
  if (!detail.data) {
    return html`<h1>Campaign ${campaignId}</h1>${detail.error ? html`<${ErrorNotice} error=${detail.error} />` : html`<p class="muted">Loading…</p>`}`;
  }
  const campaign = detail.data;
  const actions = {
    start: campaign.status === "created",
    pause: campaign.status === "running",
    resume: campaign.status === "paused",
    cancel: ["created", "running", "paused"].includes(campaign.status),
  };
  const target = campaign.target;
  const facts = [
    ["Status", html`<${Badge} value=${campaign.status} /> ${campaign.statusDetail || ""}`],
    ["Firmware", `${campaign.firmwareVersion} (${campaign.firmwareId})`],
    ["Target", target.stationIds ? `${target.stationIds.length} stations by id` : ["siteId", "vendor", "model", "firmwareVersion"].filter((k) => target[k]).map((k) => `${k} ${target[k]}`).join(", ") || "every compatible station"],
    ["Stations", campaign.totalStations],
    ["Waves", `${campaign.waveCount} (canary ${campaign.canarySize}, ×${campaign.waveGrowth}, at most ${campaign.maxConcurrent} at once)`],
    ["Halts above", `${campaign.failureThresholdPercent} % failed`],
    ["Window", campaign.window ? `${campaign.window.start}–${campaign.window.end} ${campaign.window.timeZone}` : "any time"],
    ["Created", dateTime(campaign.createdAt)],
    ["Started", dateTime(campaign.startedAt)],
    ["Finished", dateTime(campaign.finishedAt)],
  ];
  const waveColumns = [
    { key: "wave", label: "Wave", num: true, render: (w) => (w.wave === 0 ? "0 (canary)" : String(w.wave)) },
    { key: "total", label: "Stations", num: true },
    ...STATES.map((state) => ({ key: state, label: state, num: true })),
  ];
  const stationColumns = [
    { key: "stationId", label: "Station", render: (s) => html`<a href=${href(`/stations/${segment(s.stationId)}`)}>${s.stationId}</a>` },
    { key: "wave", label: "Wave", num: true },
    { key: "state", label: "State", value: (s) => STATES.indexOf(s.state), render: (s) => html`<${Badge} value=${s.state} />` },
    { key: "firmwareStatus", label: "Last reported" },
    { key: "attempts", label: "Attempts", num: true },
    { key: "startedAt", label: "Started", render: (s) => dateTime(s.startedAt) },
    { key: "finishedAt", label: "Finished", render: (s) => dateTime(s.finishedAt) },
    { key: "detail", label: "Detail", render: (s) => s.detail || s.waiting || "—" },
  ];
  return html`
    <h1>Campaign ${campaign.campaignId}</h1>
    <${ErrorNotice} error=${detail.error} />
    ${result?.error && html`<${ErrorNotice} error=${result.error} />`}
    ${result?.action && html`<${Notice} kind="success">Campaign ${result.action} accepted.<//>`}
    <div class="grid two">
      <section class="card"><h2>Campaign</h2>
        <dl class="facts">${facts.map(([term, value]) => html`<dt>${term}</dt><dd>${value}</dd>`)}</dl>
        ${user.canWrite &&
        html`<div class="toolbar spaced" role="group" aria-label="Campaign actions">
          ${actions.start && html`<button type="button" class="primary" onClick=${() => act("start")}>Start</button>`}
          ${actions.pause && html`<button type="button" onClick=${() => act("pause")}>Pause</button>`}
          ${actions.resume && html`<button type="button" class="primary" onClick=${() => act("resume")}>Resume</button>`}
          ${actions.cancel && html`<button type="button" class="danger" onClick=${() => confirm("Cancel this campaign? Stations not started are skipped.") && act("cancel")}>Cancel campaign</button>`}
        </div>`}
      </section>
      <section class="card"><h2>Progress</h2>
        <${Progress} counts=${campaign.counts} total=${campaign.totalStations} />
        <h3 class="spaced">Per wave</h3>
        <${DataTable} label="Waves" columns=${waveColumns} rows=${waves(campaign.stations)} rowKey=${(w) => w.wave}
          empty="No stations." />
        ${campaign.nextCursor && html`<p class="muted">Waves count the first ${campaign.stations.length} stations; the totals above count all.</p>`}
      </section>
    </div>
    <section class="card"><h2>Stations</h2>
      <${DataTable} label="Campaign stations" columns=${stationColumns} rows=${campaign.stations} rowKey=${(s) => s.stationId}
        initialSort=${{ key: "wave", direction: "asc" }} pageSize=${25} empty="No stations." />
    </section>
    <section class="card"><h2>History</h2>
      <${DataTable} label="Campaign history" columns=${[
        { key: "at", label: "At", render: (h) => dateTime(h.at) },
        { key: "state", label: "Status" },
        { key: "detail", label: "Detail" },
      ]} rows=${campaign.history} rowKey=${(h) => `${h.at}-${h.state}`} initialSort=${{ key: "at", direction: "desc" }}
        pageSize=${10} empty="Nothing yet." />
    </section>
  `;
}

export const views = [
  { path: "/firmware", title: "Firmware campaigns", nav: { label: "Firmware", order: 60 }, roles: OPERATIONS, component: Campaigns },
  { path: "/firmware/:campaignId", title: "Campaign", roles: OPERATIONS, component: Campaign },
];
