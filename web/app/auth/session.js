// Who is signed in: the bearer token for the API, kept in sessionStorage (this tab only, gone when
// it closes), and the message the sign-in page shows after an expiry or a refused token.
import { TokenError, accountOf, decodeClaims, isExpired, rolesOf, siteIdsOf, tenantOf } from "./jwt.js";

const TOKEN_KEY = "csms.token";
const MESSAGE_KEY = "csms.signin-message";
const WRITE_ROLES = ["admin", "operator"];
const listeners = new Set();
let expiryTimer = null;

export const EXPIRED_MESSAGE = "Your session expired. Sign in again.";
export const REFUSED_MESSAGE = "The API refused your token (expired, revoked or tampered with). Sign in again.";

function notify() {
  for (const listener of listeners) listener(currentUser());
}

export function subscribe(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function userFrom(token) {
  const claims = decodeClaims(token);
  const roles = rolesOf(claims);
  return {
    token,
    claims,
    roles,
    tenant: tenantOf(claims),
    siteIds: siteIdsOf(claims),
    accountId: accountOf(claims),
    subject: claims.email || claims["cognito:username"] || claims.sub || "",
    canWrite: roles.some((role) => WRITE_ROLES.includes(role)),
    expiresAt: typeof claims.exp === "number" ? new Date(claims.exp * 1000) : null,
  };
}

function scheduleExpiry(user) {
  clearTimeout(expiryTimer);
  if (!user?.expiresAt) return;
  // setTimeout overflows past ~24.8 days; a longer-lived token is checked again on the next call.
  const delay = Math.min(user.expiresAt.getTime() - Date.now(), 2 ** 31 - 1);
  expiryTimer = setTimeout(() => {
    if (currentUser() === null) notify();
  }, Math.max(delay, 0));
}

/** The signed-in user, or null. An expired token is dropped here, with the message for sign-in. */
export function currentUser() {
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (!token) return null;
  try {
    const user = userFrom(token);
    if (isExpired(user.claims)) {
      clearToken(EXPIRED_MESSAGE);
      return null;
    }
    return user;
  } catch {
    clearToken("The stored token could not be read. Sign in again.");
    return null;
  }
}

/** Checks what can be checked here (shape, expiry, tenant); the API checks the signature. */
export function signIn(token) {
  const user = userFrom(String(token).trim());
  if (isExpired(user.claims)) {
    throw new TokenError(`This token expired on ${user.expiresAt.toLocaleString()}.`);
  }
  if (!user.tenant) throw new TokenError("This token names no tenant (claim tenant_id).");
  sessionStorage.setItem(TOKEN_KEY, user.token);
  sessionStorage.removeItem(MESSAGE_KEY);
  scheduleExpiry(user);
  notify();
  return user;
}

function clearToken(message) {
  sessionStorage.removeItem(TOKEN_KEY);
  clearTimeout(expiryTimer);
  if (message) sessionStorage.setItem(MESSAGE_KEY, message);
}

export function signOut(message = null) {
  clearToken(message);
  notify();
}

/** The message for the sign-in page, shown once. */
export function takeSignInMessage() {
  const message = sessionStorage.getItem(MESSAGE_KEY);
  sessionStorage.removeItem(MESSAGE_KEY);
  return message;
}

export function startExpiryWatch() {
  scheduleExpiry(currentUser());
}
