// The signed-in frame: navigation from the view list, who is signed in, the current page.
import { html, useEffect } from "./lib.js";
import { href, resolve, useRoute } from "./router.js";
import { VIEWS } from "./views/index.js";

function allowed(view, user) {
  return !view.roles || view.roles.some((role) => user.roles.includes(role));
}

export function Shell({ user, onSignOut }) {
  const route = useRoute();
  const views = VIEWS.filter((view) => allowed(view, user));
  const match = resolve(views, route.path);
  const title = match ? match.view.title : "Not found";
  useEffect(() => {
    document.title = `${title} · CSMS`;
  }, [title]);
  const navigation = views.filter((view) => view.nav).sort((a, b) => a.nav.order - b.nav.order);
  const current = match ? match.view : null;
  // A portal's home is its first page (a property owner has no network overview).
  const home = navigation[0] ? navigation[0].path : "/";
  const redirect = !match && route.path === "/" && home !== "/";
  useEffect(() => {
    if (redirect) location.replace(href(home));
  }, [redirect, home]);

  return html`
    <header class="topbar">
      <a class="brand" href=${href(home)}>CSMS</a>
      <nav aria-label="Main">
        ${navigation.map(
          (view) => html`<a key=${view.path} href=${href(view.path)} aria-current=${current === view ? "page" : undefined}>${view.nav.label}</a>`,
        )}
      </nav>
      <div class="who">
        <span data-testid="who">${user.tenant} · ${user.roles.join(", ") || "no role"}${user.siteIds ? ` · sites ${user.siteIds.join(", ") || "none"}` : ""}${user.accountId ? ` · account ${user.accountId}` : ""}</span>
        <button type="button" onClick=${onSignOut}>Sign out</button>
      </div>
    </header>
    <main>
      ${redirect
        ? html`<p class="muted">Loading…</p>`
        : match
        ? html`<${match.view.component} key=${route.path} params=${match.params} query=${route.query} user=${user} />`
        : html`<h1>Not found</h1><p>No page at <code>${route.path}</code> for your role. <a href=${href(home)}>Home</a></p>`}
    </main>
  `;
}
