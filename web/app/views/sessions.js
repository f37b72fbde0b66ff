// Sessions: filters in the address (a filtered list is a link), pages from the API's cursors, the
// loaded page sortable by any column.
import { html, useEffect, useState } from "../lib.js";
import { api, segment } from "../api.js";
import { href, navigate } from "../router.js";
import { usePoll } from "../components/poll.js";
import { DataTable } from "../components/table.js";
import { Badge } from "../components/status.js";
import { ErrorNotice } from "../components/notice.js";
import { dateTime, duration, kWh } from "../components/format.js";
import { ACCOUNT_ROLES, OPERATIONS, hasRole } from "../roles.js";

const PAGE_SIZES = [10, 25, 50, 100];
const REFRESH_MS = 10000;

/** limit=1…100 from the address is honoured; anything else is the default. */
export function pageLimit(value) {
  const asked = Number(value);
  return Number.isInteger(asked) && asked >= 1 && asked <= 100 ? asked : 25;
}

function pageSizes(value) {
  return [...new Set([...PAGE_SIZES, pageLimit(value)])].sort((a, b) => a - b);
}

function isoOrNull(localValue) {
  if (!localValue) return null;
  const date = new Date(localValue);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

function Filters({ query }) {
  const [form, setForm] = useState(query);
  useEffect(() => setForm(query), [JSON.stringify(query)]);
  const field = (name) => (event) => setForm({ ...form, [name]: event.currentTarget.value });
  const submit = (event) => {
    event.preventDefault();
    const { stationId, status, from, to, limit } = form;
    navigate("/sessions", { stationId: stationId?.trim(), status, from, to, limit });
  };
  return html`
    <form class="inline" aria-label="Session filters" onSubmit=${submit}>
      <label>Station<input name="stationId" value=${form.stationId || ""} onInput=${field("stationId")} /></label>
      <label>Status
        <select name="status" value=${form.status || ""} onChange=${field("status")}>
          <option value="">any</option><option value="Active">Active</option><option value="Completed">Completed</option>
        </select>
      </label>
      <label>Started from<input type="datetime-local" name="from" value=${form.from || ""} onInput=${field("from")} /></label>
      <label>Started to<input type="datetime-local" name="to" value=${form.to || ""} onInput=${field("to")} /></label>
      <label>Per page
        <select name="limit" value=${String(pageLimit(form.limit))} onChange=${field("limit")}>
          ${pageSizes(form.limit).map((size) => html`<option value=${String(size)}>${size}</option>`)}
        </select>
      </label>
      <button class="primary" type="submit">Apply</button>
      <button type="button" onClick=${() => navigate("/sessions")}>Clear</button>
    </form>
  `;
}

function Sessions({ query, user }) {
  const seesStations = hasRole(user, OPERATIONS);
  const limit = pageLimit(query.limit);
  const filters = { stationId: query.stationId, status: query.status, from: isoOrNull(query.from), to: isoOrNull(query.to) };
  const key = JSON.stringify({ ...filters, limit });
  // cursors[i] opens page i; page 0 has none.
  const [cursors, setCursors] = useState([null]);
  const [page, setPage] = useState(0);
  useEffect(() => {
    setCursors([null]);
    setPage(0);
  }, [key]);
  const cursor = cursors[page] ?? null;
  const listing = usePoll(() => api("/sessions", { query: { ...filters, limit, cursor } }), {
    intervalMs: REFRESH_MS,
    deps: [key, cursor],
  });
  const next = listing.data?.nextCursor;
  const goNext = () => {
    setCursors([...cursors.slice(0, page + 1), next]);
    setPage(page + 1);
  };

  const columns = [
    { key: "startedAt", label: "Started", render: (s) => html`<a href=${href(`/sessions/${segment(s.sessionId)}`)}>${dateTime(s.startedAt)}</a>` },
    {
      key: "stationId",
      label: "Station",
      render: (s) => (seesStations ? html`<a href=${href(`/stations/${segment(s.stationId)}`)}>${s.stationId}</a>` : s.stationId),
    },
    { key: "evseId", label: "EVSE", num: true },
    { key: "status", label: "Status", render: (s) => html`<${Badge} value=${s.status} />` },
    { key: "idToken", label: "ID token" },
    { key: "energyWh", label: "Energy", num: true, render: (s) => kWh(s.energyWh) },
    {
      key: "duration",
      label: "Duration",
      value: (s) => (s.stoppedAt ? new Date(s.stoppedAt) : Date.now()) - new Date(s.startedAt),
      render: (s) => duration(s.startedAt, s.stoppedAt),
    },
    { key: "stopReason", label: "Stop reason" },
  ];

  return html`
    <h1>Sessions</h1>
    <section class="card"><${Filters} query=${query} /></section>
    <${ErrorNotice} error=${listing.error} />
    <section class="card">
      <${DataTable}
        label="Sessions"
        columns=${columns}
        rows=${listing.data?.items || []}
        rowKey=${(s) => s.sessionId}
        empty=${listing.loading ? "Loading…" : "No sessions match."}
      />
      <div class="pager">
        <button type="button" disabled=${page === 0} onClick=${() => setPage(page - 1)}>Previous</button>
        <span>Page ${page + 1}</span>
        <button type="button" disabled=${!next} onClick=${goNext}>Next</button>
      </div>
    </section>
  `;
}

export const view = { path: "/sessions", title: "Sessions", nav: { label: "Sessions", order: 20 }, roles: ACCOUNT_ROLES, component: Sessions };
