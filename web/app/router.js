// Hash routes (#/stations/CP-1?tab=x): static hosting needs no rewrite rules, and a link is a page.
import { useEffect, useState } from "./lib.js";

export function parseHash(hash = location.hash) {
  const text = hash.replace(/^#/, "") || "/";
  const [path, search = ""] = text.split("?");
  return { path: path.startsWith("/") ? path : `/${path}`, query: Object.fromEntries(new URLSearchParams(search)) };
}

/** "/stations/:stationId" against "/stations/CP%201" → {stationId: "CP 1"}; null when it does not match. */
export function matchPath(pattern, path) {
  const want = pattern.split("/").filter(Boolean);
  const have = path.split("/").filter(Boolean);
  if (want.length !== have.length) return null;
  const params = {};
  for (let index = 0; index < want.length; index += 1) {
    if (want[index].startsWith(":")) {
      try {
        params[want[index].slice(1)] = decodeURIComponent(have[index]);
      } catch {
        return null;
      }
    } else if (want[index] !== have[index]) {
      return null;
    }
  }
  return params;
}

export function href(path, query = {}) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== "") search.set(key, String(value));
  }
  const text = search.toString();
  return `#${path}${text ? `?${text}` : ""}`;
}

export function navigate(path, query = {}) {
  location.hash = href(path, query);
}

export function useRoute() {
  const [route, setRoute] = useState(parseHash());
  useEffect(() => {
    const update = () => setRoute(parseHash());
    addEventListener("hashchange", update);
    return () => removeEventListener("hashchange", update);
  }, []);
  return route;
}

export function resolve(views, path) {
  for (const view of views) {
    const params = matchPath(view.path, path);
    if (params) return { view, params };
  }
  return null;
}
