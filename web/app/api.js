// The operator API client: bearer token, JSON both ways, the server's own error message.
// A 401 means the token is no longer good (expired, revoked, tampered with): back to sign-in.
import { config } from "./config.js";
import { REFUSED_MESSAGE, currentUser, signOut } from "./auth/session.js";

export class ApiError extends Error {
  constructor(status, message, details = null) {
    super(message);
    this.status = status;
    this.details = details;
  }
}

function url(path, query) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(query || {})) {
    if (value !== undefined && value !== null && value !== "") search.set(key, String(value));
  }
  const text = search.toString();
  return `${config().apiBaseUrl}${path}${text ? `?${text}` : ""}`;
}

// Characters a path segment may carry as they are (RFC 3986 pchar) and that ids use: station ids
// allow * - _ = + | @ . and session ids are "<station>:<transaction>". The operator API matches routes
// on the raw path without percent-decoding it (GET /v1/stations/SIM%2D001 is a 404), so these stay
// literal; everything else (/ ? # % space …) is encoded and cannot change the path's structure.
const LITERAL_IN_SEGMENT = /%(3A|40|2B|3D|7C|24|26|2C|3B|21|27|28|29|2A)/g;

/** Path segments from the API (station ids, session ids) go through here, never raw into a path. */
export const segment = (value) => encodeURIComponent(String(value)).replace(LITERAL_IN_SEGMENT, decodeURIComponent);

export async function api(path, { method = "GET", query, body } = {}) {
  const user = currentUser();
  if (!user) throw new ApiError(401, "Not signed in.");
  const headers = { Authorization: `Bearer ${user.token}` };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(url(path, query), {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (error) {
    throw new ApiError(0, `The API cannot be reached (${error.message}).`);
  }
  const text = await response.text();
  let payload = null;
  if (text) {
    try {
      payload = JSON.parse(text);
    } catch {
      payload = null;
    }
  }
  if (response.status === 401) {
    signOut(REFUSED_MESSAGE);
    throw new ApiError(401, REFUSED_MESSAGE);
  }
  if (!response.ok) {
    const message = (payload && typeof payload.message === "string" && payload.message) || `HTTP ${response.status}`;
    throw new ApiError(response.status, message, payload && payload.errors);
  }
  return payload;
}

/** Every page of a cursor-paged list, up to maxPages (the overview needs all stations). */
export async function listAll(path, { query = {}, pageSize = 100, maxPages = 20 } = {}) {
  const items = [];
  let cursor = null;
  for (let page = 0; page < maxPages; page += 1) {
    const result = await api(path, { query: { ...query, limit: pageSize, cursor } });
    items.push(...result.items);
    cursor = result.nextCursor;
    if (!cursor) return { items, complete: true };
  }
  return { items, complete: false };
}
