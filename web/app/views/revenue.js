// Revenue per site and per stakeholder (operator, host, platform) over a period, refunds netted. The
// API answers a property owner's token with its own sites only.
import { html, useEffect, useMemo, useState } from "../lib.js";
import { api, listAll, segment } from "../api.js";
import { href, navigate } from "../router.js";
import { usePoll } from "../components/poll.js";
import { DataTable } from "../components/table.js";
import { ErrorNotice } from "../components/notice.js";
import { localDate, money } from "../components/format.js";
import { OPERATIONS, PROPERTY_OWNER, REVENUE_ROLES, hasRole } from "../roles.js";

const DATE = /^\d{4}-\d{2}-\d{2}$/;

function monthStart(date) {
  return new Date(date.getFullYear(), date.getMonth(), 1);
}

/** Preset periods in the browser's time zone: [from, to) as dates ("to" is the day after the last). */
export function presets(now = new Date()) {
  const thisMonth = monthStart(now);
  const lastMonth = new Date(now.getFullYear(), now.getMonth() - 1, 1);
  const tomorrow = new Date(now.getFullYear(), now.getMonth(), now.getDate() + 1);
  return {
    "This month": [localDate(thisMonth), localDate(tomorrow)],
    "Last month": [localDate(lastMonth), localDate(thisMonth)],
    "Last 30 days": [localDate(new Date(now.getFullYear(), now.getMonth(), now.getDate() - 29)), localDate(tomorrow)],
    "This year": [localDate(new Date(now.getFullYear(), 0, 1)), localDate(tomorrow)],
  };
}

function instant(day) {
  const [year, month, date] = day.split("-").map(Number);
  return new Date(year, month - 1, date).toISOString();
}

/** Sums of the report's lines by stakeholder and currency. */
export function byStakeholder(lines) {
  const totals = new Map();
  for (const line of lines) {
    const key = `${line.stakeholder}|${line.currency}`;
    const entry = totals.get(key) || { key, stakeholder: line.stakeholder, currency: line.currency, amount: 0, parties: new Set() };
    entry.amount += Number(line.amount);
    entry.parties.add(line.party);
    totals.set(key, entry);
  }
  return [...totals.values()].map((entry) => ({ ...entry, amount: entry.amount.toFixed(2), parties: [...entry.parties].join(", ") }));
}

function Period({ from, to, siteId }) {
  const [form, setForm] = useState({ from, to });
  useEffect(() => setForm({ from, to }), [from, to]);
  const go = (range) => navigate("/revenue", { from: range[0], to: range[1], siteId });
  const submit = (event) => {
    event.preventDefault();
    go([form.from, form.to]);
  };
  return html`
    <form class="inline" aria-label="Period" onSubmit=${submit}>
      ${Object.entries(presets()).map(
        ([name, range]) => html`<button type="button" aria-pressed=${range[0] === from && range[1] === to ? "true" : "false"}
          onClick=${() => go(range)}>${name}</button>`,
      )}
      <label>From<input type="date" name="from" required value=${form.from} onInput=${(e) => setForm({ ...form, from: e.currentTarget.value })} /></label>
      <label>Until (not included)<input type="date" name="to" required value=${form.to} onInput=${(e) => setForm({ ...form, to: e.currentTarget.value })} /></label>
      <button class="primary" type="submit">Show</button>
    </form>
  `;
}

function Revenue({ query, user }) {
  const [defaultFrom, defaultTo] = presets()["This month"];
  const from = DATE.test(query.from || "") ? query.from : defaultFrom;
  const to = DATE.test(query.to || "") ? query.to : defaultTo;
  const siteId = query.siteId || "";
  const report = usePoll(() => api("/revenue", { query: { from: instant(from), to: instant(to), siteId } }), {
    intervalMs: 60000,
    deps: [from, to, siteId],
  });
  // Names for the site ids, where the token may read the sites; the report stands without them.
  const sites = usePoll(() => listAll("/sites").catch(() => ({ items: [] })), { deps: [] });
  const names = useMemo(() => Object.fromEntries((sites.data?.items || []).map((s) => [s.siteId, s.name])), [sites.data]);
  const siteLink = (id) => html`<a href=${href(`/sites/${segment(id)}`)}>${names[id] || id}</a>`;
  const lines = report.data?.lines || [];

  // A property owner's report has its own share only (the hosts' lines): no operator or platform column.
  const ownerOnly = hasRole(user, [PROPERTY_OWNER]) && !hasRole(user, OPERATIONS);
  const siteColumns = [
    { key: "siteId", label: "Site", value: (s) => names[s.siteId] || s.siteId, render: (s) => siteLink(s.siteId) },
    { key: "net", label: "Net revenue", num: true, value: (s) => Number(s.net), render: (s) => money(s.net, s.currency) },
    ...(ownerOnly ? ["host"] : ["operator", "host", "platform"]).map((stakeholder) => ({
      key: stakeholder,
      label: ownerOnly ? "Your share" : stakeholder[0].toUpperCase() + stakeholder.slice(1),
      num: true,
      value: (s) => Number(lines.find((l) => l.siteId === s.siteId && l.stakeholder === stakeholder && l.currency === s.currency)?.amount ?? 0),
      render: (s) => {
        const found = lines.filter((l) => l.siteId === s.siteId && l.stakeholder === stakeholder && l.currency === s.currency);
        return found.length ? money(found.reduce((sum, l) => sum + Number(l.amount), 0).toFixed(2), s.currency) : "—";
      },
    })),
    { key: "currency", label: "Currency" },
  ];
  const stakeholderColumns = [
    { key: "stakeholder", label: "Stakeholder" },
    { key: "parties", label: "Parties" },
    { key: "amount", label: "Amount", num: true, value: (s) => Number(s.amount), render: (s) => money(s.amount, s.currency) },
    { key: "currency", label: "Currency" },
  ];
  const lineColumns = [
    { key: "siteId", label: "Site", value: (l) => names[l.siteId] || l.siteId, render: (l) => siteLink(l.siteId) },
    { key: "stakeholder", label: "Stakeholder" },
    { key: "party", label: "Party" },
    { key: "amount", label: "Amount", num: true, value: (l) => Number(l.amount), render: (l) => money(l.amount, l.currency) },
  ];
  const scopeNote = ownerOnly ? "Your sites and your share only." : "";
  return html`
    <h1>Revenue</h1>
    <section class="card">
      <${Period} from=${from} to=${to} siteId=${siteId} />
      ${siteId && html`<p>Site <code>${siteId}</code> only · <a href=${href("/revenue", { from, to })}>all sites</a></p>`}
      <p class="muted">${from} to ${to} (not included), booked when paid, refunds netted. ${scopeNote}</p>
    </section>
    <${ErrorNotice} error=${report.error} />
    <section class="card"><h2>Per site</h2>
      <${DataTable} label="Revenue per site" columns=${siteColumns} rows=${report.data?.sites || []}
        rowKey=${(s) => `${s.siteId}|${s.currency}`} initialSort=${{ key: "net", direction: "desc" }} pageSize=${25}
        empty=${report.loading ? "Loading…" : "No revenue in this period."} />
    </section>
    <section class="card"><h2>Per stakeholder</h2>
      <${DataTable} label="Revenue per stakeholder" columns=${stakeholderColumns} rows=${byStakeholder(lines)}
        rowKey=${(s) => s.key} empty=${report.loading ? "Loading…" : "No revenue in this period."} />
    </section>
    <section class="card"><h2>Lines</h2>
      <${DataTable} label="Revenue lines" columns=${lineColumns} rows=${lines}
        rowKey=${(l) => `${l.siteId}|${l.stakeholder}|${l.party}|${l.currency}`} pageSize=${25}
        empty=${report.loading ? "Loading…" : "No revenue in this period."} />
    </section>
  `;
}

export const view = { path: "/revenue", title: "Revenue", nav: { label: "Revenue", order: 40 }, roles: REVENUE_ROLES, component: Revenue };
