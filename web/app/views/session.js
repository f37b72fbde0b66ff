// One session: its facts, the meter-value curve (power and energy over time) and the samples.
import { html, useMemo, useState } from "../lib.js";
import { api, segment } from "../api.js";
import { href } from "../router.js";
import { usePoll } from "../components/poll.js";
import { DataTable } from "../components/table.js";
import { Badge } from "../components/status.js";
import { ErrorNotice, Notice } from "../components/notice.js";
import { TimeChart } from "../components/chart.js";
import { dateTime, duration, kWh } from "../components/format.js";
import { ACCOUNT_ROLES, OPERATIONS, hasRole } from "../roles.js";

const ENERGY = "Energy.Active.Import.Register";
const POWER = "Power.Active.Import";
const SOC = "SoC";
const LIVE_REFRESH_MS = 5000;

/** A measurand's value in base units (W, Wh, %) from one meter value; OCPP 1.6 defaults to Wh. */
function reading(meterValue, measurand) {
  const sampled = meterValue.sampledValue.find(
    (value) => (value.measurand || ENERGY) === measurand && !value.phase,
  );
  if (!sampled) return null;
  const number = Number(sampled.value);
  if (!Number.isFinite(number)) return null;
  const unit = sampled.unit || (measurand === ENERGY ? "Wh" : measurand === POWER ? "W" : "");
  return unit === "kWh" || unit === "kW" ? number * 1000 : number;
}

export function curve(session) {
  const rows = session.meterValues.map((meterValue, index) => ({
    index,
    at: new Date(meterValue.timestamp).getTime(),
    timestamp: meterValue.timestamp,
    energyWh: reading(meterValue, ENERGY),
    powerW: reading(meterValue, POWER),
    soc: reading(meterValue, SOC),
  }));
  const start = session.meterStartWh ?? rows.find((row) => row.energyWh !== null)?.energyWh ?? 0;
  return rows.map((row) => ({ ...row, deliveredWh: row.energyWh === null ? null : Math.max(row.energyWh - start, 0) }));
}

function Session({ params, user }) {
  const { sessionId } = params;
  const [stopResult, setStopResult] = useState(null);
  const detail = usePoll(() => api(`/sessions/${segment(sessionId)}`), {
    deps: [sessionId],
    intervalMs: (data) => (data && data.status === "Active" ? LIVE_REFRESH_MS : null),
  });
  const points = useMemo(() => (detail.data ? curve(detail.data) : []), [detail.data]);
  const series = useMemo(
    () => [
      { label: "Power (kW)", axis: "left", color: "#1849a9", points: points.filter((p) => p.powerW !== null).map((p) => ({ x: p.at, y: p.powerW / 1000 })) },
      { label: "Energy delivered (kWh)", axis: "right", color: "#0f5c4a", points: points.filter((p) => p.deliveredWh !== null).map((p) => ({ x: p.at, y: p.deliveredWh / 1000 })) },
    ],
    [points],
  );

  if (!detail.data) {
    return html`<h1>Session</h1>${detail.error ? html`<${ErrorNotice} error=${detail.error} />` : html`<p class="muted">Loading…</p>`}`;
  }
  const session = detail.data;
  const stop = async () => {
    setStopResult(null);
    try {
      const command = await api(`/stations/${segment(session.stationId)}/remote-stop`, {
        method: "POST",
        body: { sessionId: session.sessionId },
      });
      setStopResult({ command });
      detail.reload();
    } catch (error) {
      setStopResult({ error });
    }
  };
  const facts = [
    ["Status", html`<${Badge} value=${session.status} />${session.orphan ? " (stop without a start)" : ""}`],
    // A fleet manager or driver has no station pages: the id, not a link to "not found".
    ["Station", hasRole(user, OPERATIONS) ? html`<a href=${href(`/stations/${segment(session.stationId)}`)}>${session.stationId}</a>` : session.stationId],
    ["EVSE / connector", `${session.evseId} / ${session.connectorId}`],
    ["Transaction", session.transactionId],
    ["ID token", `${session.idToken || "—"}${session.idTokenStatus ? ` (${session.idTokenStatus})` : ""}`],
    ["Started", dateTime(session.startedAt)],
    ["Stopped", dateTime(session.stoppedAt)],
    ["Duration", duration(session.startedAt, session.stoppedAt)],
    ["Energy", kWh(session.energyWh)],
    ["Meter start / stop", `${session.meterStartWh ?? "—"} / ${session.meterStopWh ?? "—"} Wh`],
    ["Stop reason", session.stopReason || "—"],
  ];
  const columns = [
    { key: "at", label: "Time", render: (p) => dateTime(p.timestamp) },
    { key: "powerW", label: "Power (kW)", num: true, render: (p) => (p.powerW === null ? "—" : (p.powerW / 1000).toFixed(2)) },
    { key: "deliveredWh", label: "Delivered (kWh)", num: true, render: (p) => (p.deliveredWh === null ? "—" : (p.deliveredWh / 1000).toFixed(3)) },
    { key: "soc", label: "SoC (%)", num: true, render: (p) => p.soc ?? "—" },
  ];
  return html`
    <div class="spread">
      <h1>Session ${session.transactionId} on ${session.stationId}</h1>
      ${session.status === "Active" && user.canWrite && html`<button type="button" class="danger" onClick=${stop}>Stop this session</button>`}
    </div>
    <${ErrorNotice} error=${detail.error} />
    ${stopResult?.error && html`<${ErrorNotice} error=${stopResult.error} />`}
    ${stopResult?.command && html`<${Notice} kind="success">Remote stop sent (command ${stopResult.command.commandId}).<//>`}
    <div class="grid two">
      <section class="card"><h2>Session</h2>
        <dl class="facts">${facts.map(([term, value]) => html`<dt>${term}</dt><dd>${value}</dd>`)}</dl>
      </section>
      <section class="card"><h2>Meter values</h2>
        ${points.length
          ? html`<${TimeChart} label="Power and energy over the session" series=${series} leftTitle="kW" rightTitle="kWh" />`
          : html`<p class="muted">The station has sent no meter values for this session.</p>`}
      </section>
    </div>
    <section class="card"><h2>Samples</h2>
      <${DataTable} label="Meter values" columns=${columns} rows=${points} rowKey=${(p) => p.index}
        initialSort=${{ key: "at", direction: "desc" }} pageSize=${20} />
    </section>
  `;
}

export const view = { path: "/sessions/:sessionId", title: "Session", roles: ACCOUNT_ROLES, component: Session };
