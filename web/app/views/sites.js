// Sites the token may see (the API scopes the list: a property owner's or energy provider's token
// names its sites), each linking to its load page.
import { html } from "../lib.js";
import { listAll, segment } from "../api.js";
import { href } from "../router.js";
import { usePoll } from "../components/poll.js";
import { DataTable } from "../components/table.js";
import { ErrorNotice } from "../components/notice.js";
import { dateTime } from "../components/format.js";
import { SITE_ROLES } from "../roles.js";

const REFRESH_MS = 60000;

function Sites() {
  const sites = usePoll(() => listAll("/sites"), { intervalMs: REFRESH_MS });
  const columns = [
    { key: "name", label: "Site", render: (s) => html`<a href=${href(`/sites/${segment(s.siteId)}`)}>${s.name}</a>` },
    { key: "siteId", label: "Id", render: (s) => html`<code>${s.siteId}</code>` },
    { key: "address", label: "Address" },
    { key: "timezone", label: "Time zone" },
    { key: "maxCurrentAmps", label: "Max current", num: true, render: (s) => (s.maxCurrentAmps ? `${s.maxCurrentAmps} A` : "—") },
    { key: "createdAt", label: "Created", render: (s) => dateTime(s.createdAt) },
  ];
  return html`
    <h1>Sites</h1>
    <${ErrorNotice} error=${sites.error} />
    <section class="card">
      <${DataTable} label="Sites" columns=${columns} rows=${sites.data?.items || []} rowKey=${(s) => s.siteId}
        initialSort=${{ key: "name", direction: "asc" }} pageSize=${25}
        empty=${sites.loading ? "Loading…" : sites.error ? "The API did not list the sites." : "No sites yet (POST /v1/sites)."} />
    </section>
  `;
}

export const view = { path: "/sites", title: "Sites", nav: { label: "Sites", order: 30 }, roles: SITE_ROLES, component: Sites };
