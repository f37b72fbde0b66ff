// What needs an operator's attention: stations offline past their grace, faulted connectors, failed
// firmware updates, boot loops, security events; open or acknowledged, newest first.
import { html, useState } from "../lib.js";
import { api, listAll, segment } from "../api.js";
import { href, navigate } from "../router.js";
import { usePoll } from "../components/poll.js";
import { DataTable } from "../components/table.js";
import { Badge } from "../components/status.js";
import { ErrorNotice, Notice } from "../components/notice.js";
import { ago, dateTime, json } from "../components/format.js";
import { OPERATIONS } from "../roles.js";

const STATUSES = ["open", "acknowledged"];
const REFRESH_MS = 10000;

function Alerts({ query, user }) {
  const status = STATUSES.includes(query.status) ? query.status : "open";
  const stationId = query.stationId || "";
  const [result, setResult] = useState(null);
  const alerts = usePoll(() => listAll("/alerts", { query: { status, stationId }, maxPages: 5 }), {
    intervalMs: REFRESH_MS,
    deps: [status, stationId],
  });
  const acknowledge = async (alert) => {
    setResult(null);
    try {
      const done = await api(`/alerts/${segment(alert.alertId)}/acknowledge`, { method: "POST" });
      setResult({ done });
      alerts.reload();
    } catch (error) {
      setResult({ error });
    }
  };
  const columns = [
    { key: "lastRaisedAt", label: "Last raised", render: (a) => html`<span title=${dateTime(a.lastRaisedAt)}>${ago(a.lastRaisedAt)}</span>` },
    { key: "severity", label: "Severity", render: (a) => html`<${Badge} value=${a.severity} />` },
    { key: "kind", label: "Kind" },
    { key: "stationId", label: "Station", render: (a) => html`<a href=${href(`/stations/${segment(a.stationId)}`)}>${a.stationId}</a>` },
    { key: "subject", label: "Subject" },
    { key: "message", label: "Message" },
    { key: "details", label: "Details", sortable: false, render: (a) => html`<code>${json(a.details)}</code>` },
    { key: "occurrences", label: "Times", num: true },
    { key: "raisedAt", label: "First raised", render: (a) => dateTime(a.raisedAt) },
    status === "acknowledged"
      ? { key: "acknowledgedAt", label: "Acknowledged", render: (a) => `${dateTime(a.acknowledgedAt)}${a.acknowledgedBy ? ` by ${a.acknowledgedBy}` : ""}` }
      : {
          key: "ack",
          label: "",
          sortable: false,
          render: (a) => user.canWrite && html`<button type="button" onClick=${() => acknowledge(a)}>Acknowledge</button>`,
        },
  ];
  const items = alerts.data?.items || [];
  return html`
    <h1>Alerts</h1>
    <section class="card">
      <div class="toolbar spread">
        <div class="toolbar" role="group" aria-label="Alert status">
          ${STATUSES.map(
            (name) => html`<button type="button" aria-pressed=${name === status ? "true" : "false"}
              onClick=${() => navigate("/alerts", { status: name, stationId })}>${name}</button>`,
          )}
        </div>
        <span class="muted" aria-live="polite">${alerts.data ? `${items.length} ${status}` : "Loading…"}</span>
      </div>
      ${stationId && html`<p>Station <code>${stationId}</code> only · <a href=${href("/alerts", { status })}>all stations</a></p>`}
    </section>
    <${ErrorNotice} error=${alerts.error} />
    ${result?.error && html`<${ErrorNotice} error=${result.error} />`}
    ${result?.done && html`<${Notice} kind="success">Acknowledged: ${result.done.kind} on ${result.done.stationId}.<//>`}
    <section class="card">
      <${DataTable} label="Alerts" columns=${columns} rows=${items} rowKey=${(a) => a.alertId}
        initialSort=${{ key: "lastRaisedAt", direction: "desc" }} pageSize=${25}
        empty=${alerts.loading ? "Loading…" : `No ${status} alerts.`} />
    </section>
  `;
}

export const view = { path: "/alerts", title: "Alerts", nav: { label: "Alerts", order: 50 }, roles: OPERATIONS, component: Alerts };
