// Drivers: the ID tokens the token may see (a fleet manager: its account's), and for an
// account-scoped token the account itself, its wallet and its vehicles.
import { html } from "../lib.js";
import { api, listAll, segment } from "../api.js";
import { usePoll } from "../components/poll.js";
import { DataTable } from "../components/table.js";
import { Badge } from "../components/status.js";
import { ErrorNotice } from "../components/notice.js";
import { dateTime, money } from "../components/format.js";
import { DRIVER_ROLES } from "../roles.js";

async function loadAccount(accountId) {
  const account = await api(`/billing-accounts/${segment(accountId)}`);
  const wallet = account.walletId ? await api(`/wallets/${segment(account.walletId)}`) : null;
  return { account, wallet };
}

function Account({ accountId }) {
  const found = usePoll(() => loadAccount(accountId), { intervalMs: 60000, deps: [accountId] });
  if (found.error) return html`<section class="card"><h2>Account ${accountId}</h2><${ErrorNotice} error=${found.error} /></section>`;
  if (!found.data) return html`<section class="card"><h2>Account ${accountId}</h2><p class="muted">Loading…</p></section>`;
  const { account, wallet } = found.data;
  const facts = [
    ["Account", account.billingAccountId],
    ["Type", account.type],
    ["Currency", account.currency],
    ["Driver groups", account.driverGroups.join(", ") || "—"],
    ["ID tokens", String(account.idTokens.length)],
  ];
  if (wallet) facts.push(["Wallet balance", money(wallet.balance, wallet.currency)], ["Overdraft limit", money(wallet.overdraftLimit, wallet.currency)]);
  return html`<section class="card"><h2>Account</h2>
    <dl class="facts">${facts.map(([term, value]) => html`<dt>${term}</dt><dd>${value}</dd>`)}</dl>
  </section>`;
}

function Vehicles({ accountId }) {
  const vehicles = usePoll(() => listAll(`/billing-accounts/${segment(accountId)}/vehicles`, { maxPages: 10 }), {
    intervalMs: 60000,
    deps: [accountId],
  });
  const columns = [
    { key: "name", label: "Vehicle" },
    { key: "registration", label: "Plate", render: (v) => v.registration || "—" },
    { key: "model", label: "Make / model", value: (v) => [v.make, v.model].filter(Boolean).join(" "), render: (v) => [v.make, v.model].filter(Boolean).join(" ") || "—" },
    { key: "batteryKwh", label: "Battery", num: true, render: (v) => (v.batteryKwh == null ? "—" : `${v.batteryKwh} kWh`) },
    { key: "maxCurrentAmps", label: "Max current", num: true, render: (v) => (v.maxCurrentAmps == null ? "—" : `${v.maxCurrentAmps} A`) },
    { key: "idTokens", label: "ID tokens", value: (v) => v.idTokens.join(", "), render: (v) => v.idTokens.map((t) => html`<code>${t}</code> `) },
  ];
  return html`<section class="card"><h2>Vehicles</h2>
    <${ErrorNotice} error=${vehicles.error} />
    <${DataTable} label="Vehicles" columns=${columns} rows=${vehicles.data?.items || []} rowKey=${(v) => v.vehicleId}
      initialSort=${{ key: "name", direction: "asc" }} pageSize=${25}
      empty=${vehicles.loading ? "Loading…" : vehicles.error ? "The API did not list the vehicles." : "No vehicles."} />
  </section>`;
}

function Drivers({ user }) {
  const tokens = usePoll(() => listAll("/id-tokens", { maxPages: 10 }), { intervalMs: 30000 });
  const columns = [
    { key: "idToken", label: "ID token", render: (t) => html`<code>${t.idToken}</code>` },
    { key: "status", label: "Status", render: (t) => html`<${Badge} value=${t.status} />` },
    { key: "type", label: "Type" },
    { key: "parentIdToken", label: "Group (parent)" },
    { key: "expiresAt", label: "Expires", render: (t) => dateTime(t.expiresAt) },
    { key: "personalMessage", label: "Message" },
    { key: "createdAt", label: "Registered", render: (t) => dateTime(t.createdAt) },
  ];
  return html`
    <h1>Drivers</h1>
    ${user.accountId && html`<${Account} accountId=${user.accountId} />`}
    ${user.accountId && html`<${Vehicles} accountId=${user.accountId} />`}
    <${ErrorNotice} error=${tokens.error} />
    <section class="card"><h2>ID tokens</h2>
      <${DataTable} label="ID tokens" columns=${columns} rows=${tokens.data?.items || []} rowKey=${(t) => t.idToken}
        initialSort=${{ key: "idToken", direction: "asc" }} pageSize=${25}
        empty=${tokens.loading ? "Loading…" : tokens.error ? "The API did not list the ID tokens." : "No ID tokens."} />
    </section>
  `;
}

export const view = { path: "/drivers", title: "Drivers", nav: { label: "Drivers", order: 80 }, roles: DRIVER_ROLES, component: Drivers };
