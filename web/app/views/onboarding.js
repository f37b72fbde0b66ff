// Onboarding: register a station and hand its settings to the installer (a snippet and a QR code), and
// approve or reject the stations that connected without being registered.
import { html, useState } from "../lib.js";
import { api, listAll, segment } from "../api.js";
import { usePoll } from "../components/poll.js";
import { DataTable } from "../components/table.js";
import { ErrorNotice, Notice } from "../components/notice.js";
import { StationCredentials } from "../components/credentials.js";
import { ago, dateTime } from "../components/format.js";
import { OPERATIONS, WRITERS } from "../roles.js";

const PENDING_REFRESH_MS = 10000;

function useSites() {
  return usePoll(() => listAll("/sites"), { deps: [] });
}

function SiteSelect({ sites, value, onChange, name = "siteId" }) {
  return html`<select name=${name} value=${value} onChange=${(e) => onChange(e.currentTarget.value)}>
    <option value="">no site</option>
    ${(sites.data?.items || []).map((site) => html`<option value=${site.siteId}>${site.name} (${site.siteId})</option>`)}
  </select>`;
}

function AddStation() {
  const sites = useSites();
  const [form, setForm] = useState({ stationId: "", siteId: "", password: "", registration: "Accepted" });
  const [result, setResult] = useState(null);
  const [busy, setBusy] = useState(false);
  const field = (name) => (event) => setForm({ ...form, [name]: event.currentTarget.value });
  const submit = async (event) => {
    event.preventDefault();
    setResult(null);
    setBusy(true);
    const body = { stationId: form.stationId.trim(), registration: form.registration };
    if (form.siteId) body.siteId = form.siteId;
    if (form.password) body.password = form.password;
    try {
      const answer = await api("/stations", { method: "POST", body });
      setResult({ answer });
      setForm({ ...form, stationId: "", password: "" });
    } catch (error) {
      setResult({ error });
    } finally {
      setBusy(false);
    }
  };
  return html`
    <h1>Add station</h1>
    <section class="card">
      <form class="stack" aria-label="Add station" onSubmit=${submit}>
        <label>Station id (what the charger puts at the end of its URL)
          <input name="stationId" required maxlength="48" autocomplete="off" value=${form.stationId} onInput=${field("stationId")} />
        </label>
        <label>Site<${SiteSelect} sites=${sites} value=${form.siteId} onChange=${(siteId) => setForm({ ...form, siteId })} /></label>
        <label>Password (16 to 40 characters; leave empty and the platform generates one)
          <input name="password" type="password" autocomplete="new-password" minlength="16" maxlength="40" value=${form.password} onInput=${field("password")} />
        </label>
        <label>Boot answer
          <select name="registration" value=${form.registration} onChange=${field("registration")}>
            <option value="Accepted">Accepted</option><option value="Pending">Pending</option><option value="Rejected">Rejected</option>
          </select>
        </label>
        <div><button class="primary" type="submit" disabled=${busy}>Register station</button></div>
      </form>
      <${ErrorNotice} error=${sites.error} />
    </section>
    ${result?.error && html`<${ErrorNotice} error=${result.error} />`}
    ${result?.answer && html`<${Notice} kind="success">Station ${result.answer.stationId} registered.<//><${StationCredentials} answer=${result.answer} />`}
  `;
}

// The tenant's enrollment secret: while it holds one, an unregistered charger presenting it (Basic auth,
// user = its station id) waits in the list below instead of being refused.
function Enrollment({ user }) {
  const settings = usePoll(() => api("/settings/onboarding"), { deps: [] });
  const [issued, setIssued] = useState(null);
  const [error, setError] = useState(null);
  const change = async (method) => {
    if (method === "DELETE" && !confirm("Turn enrollment off? Unregistered chargers are refused again.")) return;
    setError(null);
    setIssued(null);
    try {
      const answer = await api("/settings/onboarding/enrollment-secret", { method, body: method === "POST" ? {} : undefined });
      if (method === "POST") setIssued(answer);
      settings.reload();
    } catch (caught) {
      setError(caught);
    }
  };
  const current = settings.data;
  return html`
    <section class="card" aria-label="Enrollment">
      <h2>Enrollment</h2>
      ${current &&
      html`<p>${current.pendingApproval
        ? html`Unregistered chargers that present the enrollment secret (issued ${dateTime(current.enrollmentSecretCreatedAt)}) wait here for approval.`
        : "Enrollment is off: unregistered chargers are refused."}
        At most ${current.pendingLimit} wait; one not seen for ${current.pendingRetentionHours} h leaves the list; a rejected one
        is refused for ${current.rejectionHoldHours} h.</p>`}
      ${user.canWrite &&
      html`<div class="toolbar">
        <button type="button" onClick=${() => change("POST")}>${current?.pendingApproval ? "Rotate secret" : "Issue secret"}</button>
        ${current?.pendingApproval && html`<button type="button" class="danger" onClick=${() => change("DELETE")}>Turn off</button>`}
      </div>`}
      ${issued &&
      html`<${Notice} kind="warning">Shown only now: give it to the installers, the platform keeps only a digest.<//>
        <dl class="facts">
          <dt>URL</dt><dd><code>${`${issued.ocppUrl}/<station id>`}</code></dd>
          <dt>Subprotocols</dt><dd><code>${issued.subprotocols.join(", ")}</code></dd>
          <dt>User</dt><dd>the station id</dd>
          <dt>Password</dt><dd><code data-field="enrollmentSecret">${issued.enrollmentSecret}</code></dd>
        </dl>`}
      <${ErrorNotice} error=${settings.error || error} />
    </section>
  `;
}

function Pending({ user }) {
  const sites = useSites();
  const pending = usePoll(() => listAll("/stations/pending", { maxPages: 5 }), { intervalMs: PENDING_REFRESH_MS });
  const [siteFor, setSiteFor] = useState({});
  const [result, setResult] = useState(null);
  const approve = async (station) => {
    setResult(null);
    const siteId = siteFor[station.stationId];
    try {
      const answer = await api(`/stations/pending/${segment(station.stationId)}/approve`, {
        method: "POST",
        body: siteId ? { siteId } : {},
      });
      setResult({ answer });
      pending.reload();
    } catch (error) {
      setResult({ error });
    }
  };
  const reject = async (station) => {
    if (!confirm(`Reject ${station.stationId}? It stays refused until someone registers it.`)) return;
    setResult(null);
    try {
      await api(`/stations/pending/${segment(station.stationId)}/reject`, { method: "POST" });
      setResult({ rejected: station.stationId });
      pending.reload();
    } catch (error) {
      setResult({ error });
    }
  };
  const columns = [
    { key: "stationId", label: "Station", render: (s) => html`<code>${s.stationId}</code>` },
    { key: "firstSeenAt", label: "First seen", render: (s) => dateTime(s.firstSeenAt) },
    { key: "lastSeenAt", label: "Last seen", render: (s) => ago(s.lastSeenAt) },
    { key: "attempts", label: "Attempts", num: true },
    { key: "protocol", label: "Protocol" },
    { key: "vendor", label: "Vendor / model", value: (s) => `${s.vendor || ""} ${s.model || ""}`, render: (s) => [s.vendor || "—", " / ", s.model || "—"] },
    { key: "firmwareVersion", label: "Firmware" },
    {
      key: "actions",
      label: "",
      sortable: false,
      render: (s) =>
        user.canWrite &&
        html`<div class="toolbar">
          <${SiteSelect} sites=${sites} name=${`site-${s.stationId}`} value=${siteFor[s.stationId] || ""}
            onChange=${(siteId) => setSiteFor({ ...siteFor, [s.stationId]: siteId })} />
          <button type="button" class="primary" onClick=${() => approve(s)}>Approve</button>
          <button type="button" class="danger" onClick=${() => reject(s)}>Reject</button>
        </div>`,
    },
  ];
  return html`
    <h1>Pending approval</h1>
    <p class="muted">Stations that connected without being registered. Approving registers one (on the site chosen) and shows
      the settings to give it; rejecting takes it off the list and refuses it for a while.</p>
    <${Enrollment} user=${user} />
    <${ErrorNotice} error=${pending.error} />
    ${result?.error && html`<${ErrorNotice} error=${result.error} />`}
    ${result?.rejected && html`<${Notice} kind="success">${result.rejected} rejected.<//>`}
    ${result?.answer && html`<${Notice} kind="success">Station ${result.answer.stationId} approved and registered.<//><${StationCredentials} answer=${result.answer} />`}
    <section class="card">
      <${DataTable} label="Pending stations" columns=${columns} rows=${pending.data?.items || []} rowKey=${(s) => s.stationId}
        initialSort=${{ key: "lastSeenAt", direction: "desc" }} pageSize=${25}
        empty=${pending.loading ? "Loading…" : "No station is waiting for approval."} />
    </section>
  `;
}

export const views = [
  { path: "/onboarding/new", title: "Add station", nav: { label: "Add station", order: 70 }, roles: WRITERS, component: AddStation },
  { path: "/onboarding/pending", title: "Pending approval", nav: { label: "Pending", order: 75 }, roles: OPERATIONS, component: Pending },
];
