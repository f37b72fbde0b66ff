// One site: its electrical model, the load over a day (limit in force, allocated, drawn, solar, base
// load, battery), what the allocator decided and why, and the grid signals it honours.
import { html, useMemo, useState } from "../lib.js";
import { api, segment } from "../api.js";
import { href, navigate } from "../router.js";
import { usePoll } from "../components/poll.js";
import { DataTable } from "../components/table.js";
import { Badge } from "../components/status.js";
import { ErrorNotice, Notice } from "../components/notice.js";
import { TimeChart } from "../components/chart.js";
import { amps, dateTime, kW, localDateTime, startOfDay, time, todayIn } from "../components/format.js";
import { LOAD_ROLES, REVENUE_ROLES, SIGNAL_WRITERS, SITE_ROLES, hasRole } from "../roles.js";

const LOAD_REFRESH_MS = 60000;
const RUNS_REFRESH_MS = 15000;
const PERIOD_MINUTES = 5;
const DAY_MS = 24 * 3600 * 1000;

const LOAD_SERIES = [
  { key: "limitKw", label: "Limit in force", color: "#b42318", dash: [6, 4], stepped: true },
  { key: "allocatedKw", label: "Allocated", color: "#1849a9" },
  { key: "drawnKw", label: "Drawn", color: "#0f5c4a" },
  { key: "solarKw", label: "Solar", color: "#c98a00" },
  { key: "batteryKw", label: "Battery", color: "#7a3fb0" },
  { key: "baseLoadKw", label: "Base load", color: "#6b7280", dash: [2, 3] },
];

function Facts({ site }) {
  const managed = site.loadManagement;
  const facts = [
    ["Name", site.name],
    ["Id", html`<code>${site.siteId}</code>`],
    ["Address", site.address || "—"],
    ["Time zone", site.timezone],
    ["Tariff", site.tariffId || "—"],
  ];
  if (managed) {
    facts.push(
      ["Grid limit", [managed.gridLimitAmps ? `${managed.gridLimitAmps} A` : "", managed.gridLimitKw ? ` ${managed.gridLimitKw} kW` : ""].join("").trim() || "—"],
      ["Per phase (stricter)", amps(managed.gridLimitPerPhaseAmps)],
      ["Supply", `${managed.phases} phase${managed.phases === 1 ? "" : "s"}, ${managed.voltage} V`],
      ["Fail-safe per station", amps(managed.failSafeCurrentAmps)],
      ["Objective", managed.objective],
      ["Circuits", managed.circuits.length ? managed.circuits.map((c) => `${c.circuitId} ${c.limitAmps} A`).join(", ") : "—"],
      ["Battery", managed.battery ? `${managed.battery.capacityKwh} kWh, ±${managed.battery.maxChargeKw}/${managed.battery.maxDischargeKw} kW` : "none"],
    );
  } else {
    facts.push(["Load management", "none (no grid limit)"]);
  }
  return html`<dl class="facts">${facts.map(([term, value]) => html`<dt>${term}</dt><dd>${value}</dd>`)}</dl>`;
}

/** The load series of one day in the site's time zone, as chart series in kW. */
export function loadChart(items) {
  return LOAD_SERIES.map((entry) => ({
    label: `${entry.label} (kW)`,
    color: entry.color,
    dash: entry.dash,
    stepped: entry.stepped,
    axis: "left",
    points: items.map((period) => ({ x: new Date(period.start).getTime(), y: period[entry.key] ?? null })),
  }));
}

function LoadChart({ site, day, setDay }) {
  const from = startOfDay(day, site.timezone);
  const to = new Date(from.getTime() + DAY_MS);
  const load = usePoll(
    () =>
      api(`/sites/${segment(site.siteId)}/load`, {
        query: { from: from.toISOString(), to: to.toISOString(), periodMinutes: PERIOD_MINUTES },
      }),
    { intervalMs: LOAD_REFRESH_MS, deps: [site.siteId, day] },
  );
  const items = load.data?.items || [];
  const series = useMemo(() => loadChart(items), [load.data]);
  const withRuns = items.filter((period) => period.runs > 0);
  const latest = withRuns[withRuns.length - 1];
  const range = { min: from.getTime(), max: to.getTime() };
  return html`
    <div class="toolbar spread">
      <label>Day (${site.timezone})
        <input type="date" name="day" value=${day} onChange=${(e) => e.currentTarget.value && setDay(e.currentTarget.value)} />
      </label>
      <span class="muted" aria-live="polite">
        ${load.loadedAt ? `${withRuns.length} of ${items.length} ${PERIOD_MINUTES}-minute periods with allocation runs · updated ${time(load.loadedAt)}` : "Loading…"}
      </span>
    </div>
    ${load.error
      ? html`<${ErrorNotice} error=${load.error} />`
      : html`<${TimeChart} label="Site load over the day" series=${series} leftTitle="kW" range=${range}
          timeZone=${site.timezone} tickStepMs=${3 * 3600 * 1000} pointRadius=${2} />`}
    ${latest &&
    html`<p class="muted" data-testid="latest-period">
      Latest period (${time(latest.start)}): limit ${kW(latest.limitKw)}, allocated ${kW(latest.allocatedKw)},
      drawn ${kW(latest.drawnKw)}, solar ${kW(latest.solarKw)}, battery ${kW(latest.batteryKw)}.
    </p>`}
  `;
}

function runSummary(run) {
  const inputs = run.inputs;
  const parts = [`${inputs.sessions} session${inputs.sessions === 1 ? "" : "s"}, ${inputs.charging} charging`];
  if (inputs.gridLimitAmps !== null && inputs.gridLimitAmps !== undefined) parts.push(`grid ${amps(inputs.gridLimitAmps)}`);
  if (inputs.importLimitKw !== null && inputs.importLimitKw !== undefined) parts.push(`import ≤ ${kW(inputs.importLimitKw)}`);
  if (inputs.solarKw) parts.push(`solar ${kW(inputs.solarKw)}`);
  if (inputs.signals.length) parts.push(`signals: ${inputs.signals.join(", ")}`);
  if (inputs.offlineStations.length) parts.push(`offline: ${inputs.offlineStations.join(", ")}`);
  return parts.join(" · ");
}

function Allocations({ siteId }) {
  const runs = usePoll(() => api(`/sites/${segment(siteId)}/allocations`, { query: { limit: 20 } }), {
    intervalMs: RUNS_REFRESH_MS,
    deps: [siteId],
  });
  const [chosen, setChosen] = useState(null);
  const items = runs.data?.items || [];
  // Unless one is picked, the latest run that allocated something (a run with no car explains nothing).
  const run = items.find((candidate) => candidate.runId === chosen) || items.find((r) => r.evses.length) || items[0];
  const runColumns = [
    { key: "at", label: "At", render: (r) => dateTime(r.at) },
    { key: "trigger", label: "Trigger" },
    { key: "evPowerKw", label: "EVs", num: true, render: (r) => kW(r.evPowerKw) },
    { key: "importKw", label: "Import", num: true, render: (r) => kW(r.importKw) },
    { key: "inputs", label: "Inputs", sortable: false, render: runSummary },
    {
      key: "show",
      label: "",
      sortable: false,
      render: (r) => html`<button type="button" aria-pressed=${run && r.runId === run.runId ? "true" : "false"}
        onClick=${() => setChosen(r.runId)}>Why</button>`,
    },
  ];
  const evseColumns = [
    { key: "evse", label: "EVSE" },
    { key: "sessionId", label: "Session", render: (o) => (o.sessionId ? html`<a href=${href(`/sessions/${segment(o.sessionId)}`)}>${o.sessionId}</a>` : "—") },
    { key: "allocatedAmps", label: "Allocated", num: true, render: (o) => amps(o.allocatedAmps) },
    { key: "inForceAmps", label: "Held before", num: true, render: (o) => amps(o.inForceAmps) },
    { key: "sentAmps", label: "Sent", num: true, render: (o) => amps(o.sentAmps) },
    { key: "reason", label: "Why" },
    { key: "answer", label: "Charger's answer", render: (o) => o.answer || (o.commandId ? "waiting" : "—") },
  ];
  return html`
    <${ErrorNotice} error=${runs.error} />
    <${DataTable} label="Allocation runs" columns=${runColumns} rows=${items} rowKey=${(r) => r.runId}
      pageSize=${5} empty=${runs.loading ? "Loading…" : "The allocator has not run for this site yet."} />
    ${run &&
    html`<h3 class="spaced">Run at ${dateTime(run.at)} (${run.method}, ${run.durationMs.toFixed(0)} ms)</h3>
      <${DataTable} label="Allocation per EVSE" columns=${evseColumns} rows=${run.evses} rowKey=${(o) => o.evse}
        empty="No EVSE was allocated in this run." />`}
  `;
}

function SignalForm({ siteId, onPosted }) {
  const now = new Date();
  const [form, setForm] = useState({
    kind: "importLimit",
    value: "",
    startsAt: localDateTime(now),
    endsAt: localDateTime(new Date(now.getTime() + 2 * 3600 * 1000)),
    source: "",
  });
  const [result, setResult] = useState(null);
  const field = (name) => (event) => setForm({ ...form, [name]: event.currentTarget.value });
  const submit = async (event) => {
    event.preventDefault();
    setResult(null);
    const startsAt = new Date(form.startsAt);
    const endsAt = new Date(form.endsAt);
    if (Number.isNaN(startsAt.getTime()) || Number.isNaN(endsAt.getTime())) {
      setResult({ error: { message: "Give a start and an end." } });
      return;
    }
    const body = {
      kind: form.kind,
      value: Number(form.value),
      startsAt: startsAt.toISOString(),
      endsAt: endsAt.toISOString(),
      ...(form.source.trim() ? { source: form.source.trim() } : {}),
    };
    try {
      const signal = await api(`/sites/${segment(siteId)}/grid-signals`, { method: "POST", body });
      setResult({ signal });
      onPosted();
    } catch (error) {
      setResult({ error });
    }
  };
  return html`
    <form class="inline" aria-label="New grid signal" onSubmit=${submit}>
      <label>Kind
        <select name="kind" value=${form.kind} onChange=${field("kind")}>
          <option value="importLimit">Import limit (kW)</option>
          <option value="price">Price (per kWh)</option>
        </select>
      </label>
      <label>Value<input name="value" type="number" step="any" required value=${form.value} onInput=${field("value")} /></label>
      <label>From<input name="startsAt" type="datetime-local" required value=${form.startsAt} onInput=${field("startsAt")} /></label>
      <label>To<input name="endsAt" type="datetime-local" required value=${form.endsAt} onInput=${field("endsAt")} /></label>
      <label>Source<input name="source" maxlength="200" placeholder="grid operator" value=${form.source} onInput=${field("source")} /></label>
      <button class="primary" type="submit">Post signal</button>
    </form>
    ${result?.error && html`<${ErrorNotice} error=${result.error} />`}
    ${result?.signal && html`<${Notice} kind="success">Signal ${result.signal.signalId} posted: the allocator honours it from ${dateTime(result.signal.startsAt)}.<//>`}
  `;
}

function GridSignals({ siteId, canPost }) {
  const signals = usePoll(() => api(`/sites/${segment(siteId)}/grid-signals`), { intervalMs: 30000, deps: [siteId] });
  const now = Date.now();
  const columns = [
    { key: "kind", label: "Kind" },
    { key: "value", label: "Value", num: true, render: (s) => (s.kind === "importLimit" ? kW(s.value) : `${s.value} /kWh`) },
    { key: "startsAt", label: "From", render: (s) => dateTime(s.startsAt) },
    { key: "endsAt", label: "To", render: (s) => dateTime(s.endsAt) },
    {
      key: "state",
      label: "State",
      value: (s) => (new Date(s.endsAt) < now ? 2 : new Date(s.startsAt) > now ? 1 : 0),
      render: (s) => html`<${Badge} value=${new Date(s.endsAt) < now ? "ended" : new Date(s.startsAt) > now ? "upcoming" : "inForce"} />`,
    },
    { key: "source", label: "Source" },
    { key: "origin", label: "Origin" },
  ];
  return html`
    <${ErrorNotice} error=${signals.error} />
    ${signals.data?.openadrError && html`<${Notice} kind="error">OpenADR: ${signals.data.openadrError}<//>`}
    <${DataTable} label="Grid signals" columns=${columns} rows=${signals.data?.items || []} rowKey=${(s) => s.signalId}
      initialSort=${{ key: "startsAt", direction: "desc" }} pageSize=${10}
      empty=${signals.loading ? "Loading…" : "No grid signals."} />
    ${canPost && html`<h3 class="spaced">Post a signal</h3><${SignalForm} siteId=${siteId} onPosted=${signals.reload} />`}
  `;
}

function Site({ params, query, user }) {
  const { siteId } = params;
  const detail = usePoll(() => api(`/sites/${segment(siteId)}`), { intervalMs: 60000, deps: [siteId] });
  const site = detail.data;
  const day = query.day && /^\d{4}-\d{2}-\d{2}$/.test(query.day) ? query.day : site ? todayIn(site.timezone) : null;
  const setDay = (next) => navigate(`/sites/${segment(siteId)}`, { day: next });
  if (!site) {
    return html`<h1>Site ${siteId}</h1>${detail.error ? html`<${ErrorNotice} error=${detail.error} />` : html`<p class="muted">Loading…</p>`}`;
  }
  const seesLoad = hasRole(user, LOAD_ROLES);
  return html`
    <div class="spread">
      <h1>${site.name}</h1>
      ${hasRole(user, REVENUE_ROLES) && html`<a href=${href("/revenue", { siteId: site.siteId })}>Revenue of this site</a>`}
    </div>
    <${ErrorNotice} error=${detail.error} />
    ${site.warnings.map((warning) => html`<${Notice} kind="warning">${warning}<//>`)}
    <div class="grid two">
      <section class="card"><h2>Site</h2><${Facts} site=${site} /></section>
      <section class="card"><h2>Load</h2>
        ${site.loadManagement
          ? html`<${LoadChart} site=${site} day=${day} setDay=${setDay} />`
          : html`<p class="muted">This site's load is not managed: give it a grid limit (PATCH /v1/sites/${site.siteId}, gridLimitAmps) to see its load here.</p>`}
      </section>
    </div>
    ${seesLoad && site.loadManagement &&
    html`<section class="card"><h2>Allocation runs</h2><${Allocations} siteId=${site.siteId} /></section>
      <section class="card"><h2>Grid signals</h2><${GridSignals} siteId=${site.siteId} canPost=${hasRole(user, SIGNAL_WRITERS)} /></section>`}
  `;
}

export const view = { path: "/sites/:siteId", title: "Site", roles: SITE_ROLES, component: Site };
