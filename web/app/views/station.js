// Station detail: what the station reported, its connectors, what it is charging, the commands sent
// to it with their outcome, what it sent us, and the operator's actions.
import { html, useState } from "../lib.js";
import { api, segment } from "../api.js";
import { href } from "../router.js";
import { usePoll } from "../components/poll.js";
import { DataTable } from "../components/table.js";
import { Badge, stationState } from "../components/status.js";
import { ErrorNotice, Notice } from "../components/notice.js";
import { ago, dateTime, duration, json, kWh } from "../components/format.js";
import { OPERATIONS } from "../roles.js";

const REFRESH_MS = 5000;
const PENDING_REFRESH_MS = 1000;
const MESSAGE_KINDS = ["DataTransfer", "FirmwareStatusNotification", "DiagnosticsStatusNotification"];

async function loadStation(stationId) {
  const path = `/stations/${segment(stationId)}`;
  const [station, commands, active] = await Promise.all([
    api(path),
    api(`${path}/commands`, { query: { limit: 20 } }),
    api("/sessions", { query: { stationId, status: "Active", limit: 20 } }),
  ]);
  return { station, commands: commands.items, active: active.items };
}

function Facts({ station }) {
  const facts = [
    ["State", html`<${Badge} value=${stationState(station)} />`],
    ["Protocol", station.protocol || "—"],
    ["Vendor", station.vendor || "—"],
    ["Model", station.model || "—"],
    ["Serial number", station.serialNumber || "—"],
    ["Firmware", station.firmwareVersion || "—"],
    ["Site", station.siteId || "—"],
    ["Connected since", dateTime(station.connectedAt)],
    ["Last seen", `${dateTime(station.lastSeen)} (${ago(station.lastSeen)})`],
    ["Boot status", station.bootStatus || "—"],
    ["Registration", station.registration],
    ["Blocked", station.blocked ? "yes" : "no"],
    ["OCPP password", station.hasPassword ? "set" : "none"],
    ["Station status", station.status ? html`<${Badge} value=${station.status} /> ${station.errorCode || ""}` : "—"],
    ["Registered", dateTime(station.createdAt)],
  ];
  return html`<dl class="facts">${facts.map(([term, value]) => html`<dt>${term}</dt><dd>${value}</dd>`)}</dl>`;
}

function Connectors({ station }) {
  const rows = station.evses.flatMap((evse) => evse.connectors.map((connector) => ({ evseId: evse.evseId, ...connector })));
  const columns = [
    { key: "evseId", label: "EVSE", num: true },
    { key: "connectorId", label: "Connector", num: true },
    { key: "status", label: "Status", render: (c) => html`<${Badge} value=${c.status} />` },
    { key: "errorCode", label: "Error", render: (c) => (c.errorCode && c.errorCode !== "NoError" ? c.errorCode : "—") },
    { key: "info", label: "Info", render: (c) => [c.info || "", c.vendorErrorCode ? ` (${c.vendorErrorCode})` : ""] },
    { key: "reportedAt", label: "Reported", render: (c) => dateTime(c.reportedAt) },
  ];
  return html`<${DataTable} label="Connectors" columns=${columns} rows=${rows} rowKey=${(c) => `${c.evseId}-${c.connectorId}`}
    empty="The station has reported no connector yet." />`;
}

function outcome(command) {
  if (command.error) return `${command.error.code}${command.error.description ? `: ${command.error.description}` : ""}`;
  return json(command.response);
}

function Commands({ commands }) {
  const columns = [
    { key: "createdAt", label: "Sent", render: (c) => dateTime(c.createdAt) },
    { key: "action", label: "Action" },
    { key: "status", label: "Outcome", render: (c) => html`<${Badge} value=${c.status} />` },
    { key: "response", label: "Answer", sortable: false, render: (c) => html`<code>${outcome(c)}</code>` },
    { key: "payload", label: "Payload", sortable: false, render: (c) => html`<code>${json(c.payload)}</code>` },
    { key: "completedAt", label: "Answered", render: (c) => dateTime(c.completedAt) },
  ];
  return html`<${DataTable} label="Commands" columns=${columns} rows=${commands} rowKey=${(c) => c.commandId}
    initialSort=${{ key: "createdAt", direction: "desc" }} pageSize=${10} empty="No commands sent yet." />`;
}

function ActiveSessions({ sessions, canWrite, onStop }) {
  const columns = [
    { key: "sessionId", label: "Session", render: (s) => html`<a href=${href(`/sessions/${segment(s.sessionId)}`)}>${s.transactionId}</a>` },
    { key: "evseId", label: "EVSE", num: true },
    { key: "idToken", label: "ID token" },
    { key: "startedAt", label: "Started", render: (s) => dateTime(s.startedAt) },
    { key: "duration", label: "Duration", sortable: false, render: (s) => duration(s.startedAt, s.stoppedAt) },
    { key: "energyWh", label: "Energy", num: true, render: (s) => kWh(s.energyWh) },
    {
      key: "stop",
      label: "",
      sortable: false,
      render: (s) => canWrite && html`<button type="button" class="danger" onClick=${() => onStop(s)}>Stop</button>`,
    },
  ];
  return html`<${DataTable} label="Active sessions" columns=${columns} rows=${sessions} rowKey=${(s) => s.sessionId}
    empty="Nothing charging right now." />`;
}

function Messages({ stationId }) {
  const [kind, setKind] = useState(MESSAGE_KINDS[0]);
  const messages = usePoll(
    () => api(`/stations/${segment(stationId)}/messages`, { query: { kind, limit: 50 } }),
    { intervalMs: 30000, deps: [stationId, kind] },
  );
  const columns = [
    { key: "receivedAt", label: "Received", render: (m) => dateTime(m.receivedAt) },
    { key: "vendorId", label: "Vendor id" },
    { key: "messageId", label: "Message id" },
    { key: "status", label: "Status" },
    { key: "data", label: "Data", sortable: false, render: (m) => html`<code>${m.data ?? ""}</code>` },
  ];
  return html`
    <div class="toolbar">
      <label>Kind
        <select value=${kind} onChange=${(e) => setKind(e.currentTarget.value)}>
          ${MESSAGE_KINDS.map((name) => html`<option value=${name}>${name}</option>`)}
        </select>
      </label>
    </div>
    <${ErrorNotice} error=${messages.error} />
    <${DataTable} label="Recent messages" columns=${columns} rows=${messages.data?.items || []}
      rowKey=${(m) => `${m.receivedAt}-${m.messageId}`} initialSort=${{ key: "receivedAt", direction: "desc" }}
      pageSize=${10} empty=${messages.loading ? "Loading…" : `No ${kind} messages kept.`} />
  `;
}

function Actions({ station, send }) {
  const [idToken, setIdToken] = useState("");
  const [evseId, setEvseId] = useState("");
  const [resetType, setResetType] = useState("Soft");
  const [action, setAction] = useState("");
  const [payload, setPayload] = useState("{}");
  const [payloadProblem, setPayloadProblem] = useState(null);

  const remoteStart = (event) => {
    event.preventDefault();
    send("Remote start", `/stations/${segment(station.stationId)}/remote-start`, {
      idToken: idToken.trim(),
      ...(evseId ? { evseId: Number(evseId) } : {}),
    });
  };
  const reset = (event) => {
    event.preventDefault();
    if (!confirm(`${resetType} reset of ${station.stationId}? Sessions on it end.`)) return;
    send("Reset", `/stations/${segment(station.stationId)}/reset`, { type: resetType });
  };
  const generic = (event) => {
    event.preventDefault();
    let parsed;
    try {
      parsed = JSON.parse(payload || "{}");
    } catch (error) {
      setPayloadProblem(`The payload is not JSON: ${error.message}`);
      return;
    }
    if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) {
      setPayloadProblem("The payload must be a JSON object.");
      return;
    }
    setPayloadProblem(null);
    send(action.trim(), `/stations/${segment(station.stationId)}/commands`, { action: action.trim(), payload: parsed });
  };

  return html`
    <form class="inline" aria-label="Remote start" onSubmit=${remoteStart}>
      <label>ID token<input name="idToken" required maxlength="20" value=${idToken} onInput=${(e) => setIdToken(e.currentTarget.value)} /></label>
      <label>EVSE
        <select name="evseId" value=${evseId} onChange=${(e) => setEvseId(e.currentTarget.value)}>
          <option value="">station picks</option>
          ${station.evses.map((evse) => html`<option value=${String(evse.evseId)}>${evse.evseId}</option>`)}
        </select>
      </label>
      <button class="primary" type="submit">Remote start</button>
    </form>
    <hr />
    <form class="inline" aria-label="Reset" onSubmit=${reset}>
      <label>Reset
        <select name="resetType" value=${resetType} onChange=${(e) => setResetType(e.currentTarget.value)}>
          <option value="Soft">Soft</option>
          <option value="Hard">Hard</option>
        </select>
      </label>
      <button class="danger" type="submit">Reset</button>
    </form>
    <hr />
    <form class="stack" aria-label="Command" onSubmit=${generic}>
      <label>OCPP action<input name="action" required maxlength="64" placeholder="GetConfiguration" value=${action}
        onInput=${(e) => setAction(e.currentTarget.value)} /></label>
      <label>Payload (JSON object)<textarea name="payload" value=${payload} onInput=${(e) => setPayload(e.currentTarget.value)}></textarea></label>
      ${payloadProblem && html`<${Notice} kind="error">${payloadProblem}<//>`}
      <div><button type="submit">Send command</button></div>
    </form>
  `;
}

function Station({ params, user }) {
  const { stationId } = params;
  const [sent, setSent] = useState(null);
  const [actionError, setActionError] = useState(null);
  const detail = usePoll(() => loadStation(stationId), {
    deps: [stationId],
    intervalMs: (data) => (data && data.commands.some((c) => c.status === "pending") ? PENDING_REFRESH_MS : REFRESH_MS),
  });

  const send = async (label, path, body) => {
    setActionError(null);
    setSent(null);
    try {
      const command = await api(path, { method: "POST", body });
      setSent({ label, command });
      detail.reload();
    } catch (error) {
      setActionError(error);
    }
  };
  const stop = (session) =>
    send("Remote stop", `/stations/${segment(stationId)}/remote-stop`, { sessionId: session.sessionId });

  if (!detail.data) {
    return html`<h1>${stationId}</h1>${detail.error ? html`<${ErrorNotice} error=${detail.error} />` : html`<p class="muted">Loading…</p>`}`;
  }
  const { station, commands, active } = detail.data;
  return html`
    <div class="spread">
      <h1>${station.stationId}</h1>
      <a href=${href("/sessions", { stationId: station.stationId })}>All sessions of this station</a>
    </div>
    <${ErrorNotice} error=${detail.error} />
    <${ErrorNotice} error=${actionError} />
    ${sent && html`<${Notice} kind="success">${sent.label} sent (command ${sent.command.commandId}); its outcome shows under Commands.<//>`}
    <div class="grid two">
      <section class="card"><h2>Station</h2><${Facts} station=${station} /></section>
      <section class="card">
        <h2>Connectors</h2><${Connectors} station=${station} />
        <h2 class="spaced">Charging now</h2>
        <${ActiveSessions} sessions=${active} canWrite=${user.canWrite} onStop=${stop} />
      </section>
    </div>
    ${user.canWrite
      ? html`<section class="card"><h2>Actions</h2><${Actions} station=${station} send=${send} /></section>`
      : html`<${Notice}>Your role (${user.roles.join(", ") || "none"}) can look, not send commands.<//>`}
    <section class="card"><h2>Commands</h2><${Commands} commands=${commands} /></section>
    <section class="card"><h2>Recent messages</h2><${Messages} stationId=${station.stationId} /></section>
  `;
}

export const view = { path: "/stations/:stationId", title: "Station", roles: OPERATIONS, component: Station };
