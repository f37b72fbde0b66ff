// Network overview: every station of the tenant, counted by state, refreshed every few seconds.
import { html, useMemo, useState } from "../lib.js";
import { listAll, segment } from "../api.js";
import { href } from "../router.js";
import { usePoll } from "../components/poll.js";
import { DataTable } from "../components/table.js";
import { Badge, STATES, stationState } from "../components/status.js";
import { ErrorNotice, Notice } from "../components/notice.js";
import { ago, time } from "../components/format.js";
import { OPERATIONS } from "../roles.js";

export const REFRESH_MS = 5000;
const SITES_REFRESH_MS = 60000;

function connectorSummary(station) {
  const connectors = station.evses.flatMap((evse) => evse.connectors.map((connector) => ({ evse, connector })));
  if (connectors.length === 0) return html`<span class="muted">none reported</span>`;
  return connectors.map(
    ({ evse, connector }) =>
      html`<${Badge} key=${`${evse.evseId}-${connector.connectorId}`} value=${connector.status}
        title=${`EVSE ${evse.evseId}, connector ${connector.connectorId}`} /> `,
  );
}

function Overview() {
  const stations = usePoll(() => listAll("/stations"), { intervalMs: REFRESH_MS });
  const sites = usePoll(() => listAll("/sites"), { intervalMs: SITES_REFRESH_MS });
  const [stateFilter, setStateFilter] = useState(null);
  const [search, setSearch] = useState("");

  const siteNames = useMemo(
    () => Object.fromEntries((sites.data?.items || []).map((site) => [site.siteId, site.name])),
    [sites.data],
  );
  const all = useMemo(
    () => (stations.data?.items || []).map((station) => ({ ...station, state: stationState(station) })),
    [stations.data],
  );
  const counts = Object.fromEntries(STATES.map((state) => [state, all.filter((s) => s.state === state).length]));
  const needle = search.trim().toLowerCase();
  const rows = all.filter(
    (station) =>
      (!stateFilter || station.state === stateFilter) &&
      (!needle ||
        [station.stationId, station.vendor, station.model, station.siteId, siteNames[station.siteId]]
          .filter(Boolean)
          .some((text) => String(text).toLowerCase().includes(needle))),
  );

  const columns = [
    {
      key: "stationId",
      label: "Station",
      render: (s) => html`<a href=${href(`/stations/${segment(s.stationId)}`)}>${s.stationId}</a>`,
    },
    { key: "state", label: "State", value: (s) => STATES.indexOf(s.state), render: (s) => html`<${Badge} value=${s.state} />` },
    { key: "connectors", label: "Connectors", sortable: false, render: connectorSummary },
    {
      key: "site",
      label: "Site",
      value: (s) => siteNames[s.siteId] || s.siteId,
      render: (s) => (s.siteId ? siteNames[s.siteId] || s.siteId : html`<span class="muted">—</span>`),
    },
    { key: "vendor", label: "Vendor / model", value: (s) => `${s.vendor || ""} ${s.model || ""}`, render: (s) => [s.vendor || "—", " / ", s.model || "—"] },
    { key: "firmwareVersion", label: "Firmware" },
    { key: "lastSeen", label: "Last seen", value: (s) => s.lastSeen || s.connectedAt, render: (s) => ago(s.lastSeen || s.connectedAt) },
  ];

  return html`
    <h1>Network overview</h1>
    <${ErrorNotice} error=${stations.error} />
    <div class="tiles" role="group" aria-label="Stations by state">
      ${STATES.map(
        (state) => html`<button type="button" key=${state} class=${`tile ${state}`} data-state=${state}
            aria-pressed=${stateFilter === state ? "true" : "false"}
            onClick=${() => setStateFilter(stateFilter === state ? null : state)}>
          <span class="count">${stations.data ? counts[state] : "…"}</span>${state}
        </button>`,
      )}
    </div>
    <section class="card">
      <div class="toolbar spread">
        <label>Search
          <input type="search" value=${search} placeholder="station, vendor, site" onInput=${(e) => setSearch(e.currentTarget.value)} />
        </label>
        <span class="muted" aria-live="polite">
          ${stations.loadedAt ? `${all.length} stations · updated ${time(stations.loadedAt)} · refreshes every ${REFRESH_MS / 1000} s` : "Loading…"}
        </span>
      </div>
      ${stations.data && !stations.data.complete &&
      html`<${Notice}>Showing the first ${all.length} stations only.<//>`}
      <${DataTable}
        label="Stations"
        columns=${columns}
        rows=${rows}
        rowKey=${(s) => s.stationId}
        initialSort=${{ key: "stationId", direction: "asc" }}
        pageSize=${25}
        empty=${stations.loading ? "Loading…" : all.length ? "No station matches." : "No stations registered yet (POST /v1/stations)."}
      />
    </section>
  `;
}

export const view = { path: "/", title: "Overview", nav: { label: "Overview", order: 10 }, roles: OPERATIONS, component: Overview };
