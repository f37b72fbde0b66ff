// Invoices and credit notes the token may see (a fleet manager: its account's; a driver: its own),
// newest first, paged by the API's cursor; one invoice with its lines is the receipt.
import { html, useEffect, useState } from "../lib.js";
import { api, segment } from "../api.js";
import { href, navigate } from "../router.js";
import { usePoll } from "../components/poll.js";
import { DataTable } from "../components/table.js";
import { Badge } from "../components/status.js";
import { ErrorNotice } from "../components/notice.js";
import { dateTime, money } from "../components/format.js";
import { ACCOUNT_ROLES } from "../roles.js";

const STATUSES = ["open", "paid", "on_account", "payment_failed", "credited"];
const PAGE_SIZE = 25;

function Invoices({ query }) {
  const status = STATUSES.includes(query.status) ? query.status : "";
  const [cursors, setCursors] = useState([null]);
  const [page, setPage] = useState(0);
  useEffect(() => {
    setCursors([null]);
    setPage(0);
  }, [status]);
  const cursor = cursors[page] ?? null;
  const listing = usePoll(() => api("/invoices", { query: { status, limit: PAGE_SIZE, cursor } }), {
    intervalMs: 30000,
    deps: [status, cursor],
  });
  const next = listing.data?.nextCursor;
  const columns = [
    { key: "issuedAt", label: "Issued", render: (i) => html`<a href=${href(`/invoices/${segment(i.invoiceId)}`)}>${dateTime(i.issuedAt)}</a>` },
    { key: "number", label: "Number", render: (i) => i.number || i.invoiceId },
    { key: "kind", label: "Kind" },
    { key: "status", label: "Status", render: (i) => html`<${Badge} value=${i.status} />` },
    { key: "billingAccountId", label: "Account" },
    { key: "sessionId", label: "Session", render: (i) => (i.sessionId ? html`<a href=${href(`/sessions/${segment(i.sessionId)}`)}>${i.sessionId}</a>` : i.period || "—") },
    { key: "totalInclVat", label: "Total", num: true, value: (i) => Number(i.totalInclVat), render: (i) => money(i.totalInclVat, i.currency) },
  ];
  return html`
    <h1>Invoices</h1>
    <section class="card">
      <form class="inline" aria-label="Invoice filters" onSubmit=${(e) => e.preventDefault()}>
        <label>Status
          <select name="status" value=${status} onChange=${(e) => navigate("/invoices", { status: e.currentTarget.value })}>
            <option value="">any</option>
            ${STATUSES.map((name) => html`<option value=${name}>${name}</option>`)}
          </select>
        </label>
      </form>
    </section>
    <${ErrorNotice} error=${listing.error} />
    <section class="card">
      <${DataTable} label="Invoices" columns=${columns} rows=${listing.data?.items || []} rowKey=${(i) => i.invoiceId}
        empty=${listing.loading ? "Loading…" : "No invoices."} />
      <div class="pager">
        <button type="button" disabled=${page === 0} onClick=${() => setPage(page - 1)}>Previous</button>
        <span>Page ${page + 1}</span>
        <button type="button" disabled=${!next} onClick=${() => {
          setCursors([...cursors.slice(0, page + 1), next]);
          setPage(page + 1);
        }}>Next</button>
      </div>
    </section>
  `;
}

function Invoice({ params }) {
  const { invoiceId } = params;
  const found = usePoll(() => api(`/invoices/${segment(invoiceId)}`), { deps: [invoiceId] });
  if (!found.data) {
    return html`<h1>Invoice ${invoiceId}</h1>${found.error ? html`<${ErrorNotice} error=${found.error} />` : html`<p class="muted">Loading…</p>`}`;
  }
  const invoice = found.data;
  const facts = [
    ["Number", invoice.number || "—"],
    ["Kind", invoice.kind],
    ["Status", html`<${Badge} value=${invoice.status} />${invoice.failure ? ` ${invoice.failure}` : ""}`],
    ["Issued", dateTime(invoice.issuedAt)],
    ["Account", invoice.billingAccountId],
    ["Site", invoice.siteId || "—"],
    ["Session", invoice.sessionId ? html`<a href=${href(`/sessions/${segment(invoice.sessionId)}`)}>${invoice.sessionId}</a>` : "—"],
    ["Period", invoice.period || "—"],
    ["Credits", invoice.creditReference || "—"],
    ["Payment", invoice.paymentReference || "—"],
  ];
  const columns = [
    { key: "description", label: "Description" },
    { key: "quantity", label: "Quantity", num: true, render: (l) => `${l.quantity} ${l.unit}` },
    { key: "unitPrice", label: "Unit price", num: true, render: (l) => money(l.unitPrice, invoice.currency) },
    { key: "vatRate", label: "VAT %", num: true, render: (l) => l.vatRate ?? "—" },
    { key: "exclVat", label: "Excl. VAT", num: true, render: (l) => money(l.exclVat, invoice.currency) },
    { key: "inclVat", label: "Incl. VAT", num: true, render: (l) => money(l.inclVat, invoice.currency) },
  ];
  return html`
    <h1>${invoice.kind === "CREDIT_NOTE" ? "Credit note" : "Invoice"} ${invoice.number || invoice.invoiceId}</h1>
    <div class="grid two">
      <section class="card"><h2>Invoice</h2>
        <dl class="facts">${facts.map(([term, value]) => html`<dt>${term}</dt><dd>${value}</dd>`)}</dl>
      </section>
      <section class="card"><h2>Totals</h2>
        <dl class="facts">
          <dt>Excl. VAT</dt><dd>${money(invoice.totalExclVat, invoice.currency)}</dd>
          <dt>VAT</dt><dd>${money(invoice.totalVat, invoice.currency)}</dd>
          <dt>Total</dt><dd data-testid="invoice-total">${money(invoice.totalInclVat, invoice.currency)}</dd>
        </dl>
      </section>
    </div>
    <section class="card"><h2>Lines</h2>
      <${DataTable} label="Invoice lines" columns=${columns} rows=${invoice.lines.map((line, index) => ({ ...line, index }))}
        rowKey=${(l) => l.index} empty="No lines." />
    </section>
  `;
}

export const views = [
  { path: "/invoices", title: "Invoices", nav: { label: "Invoices", order: 85 }, roles: ACCOUNT_ROLES, component: Invoices },
  { path: "/invoices/:invoiceId", title: "Invoice", roles: ACCOUNT_ROLES, component: Invoice },
];
