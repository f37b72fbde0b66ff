// Cognito hosted UI, authorization code grant with PKCE (RFC 7636, S256): no client secret in the
// browser, and a stolen authorization code is useless without this tab's verifier.
// The API takes the ID token (it carries custom:tenant_id; see infra/operator_identity.py).

const PENDING_KEY = "csms.pkce";

function base64Url(bytes) {
  let text = "";
  for (const byte of new Uint8Array(bytes)) text += String.fromCharCode(byte);
  return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function randomString(byteCount) {
  return base64Url(crypto.getRandomValues(new Uint8Array(byteCount)));
}

export async function challengeFor(verifier) {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
  return base64Url(digest);
}

export function redirectUri() {
  return `${location.origin}${location.pathname}`;
}

/** Sends the browser to the hosted UI; it comes back to this page with ?code=…&state=…. */
export async function startSignIn(auth, { assign = (url) => location.assign(url) } = {}) {
  const verifier = randomString(48);
  const state = randomString(16);
  sessionStorage.setItem(PENDING_KEY, JSON.stringify({ verifier, state }));
  const query = new URLSearchParams({
    response_type: "code",
    client_id: auth.clientId,
    redirect_uri: redirectUri(),
    scope: (auth.scopes || ["openid", "email", "profile"]).join(" "),
    state,
    code_challenge_method: "S256",
    code_challenge: await challengeFor(verifier),
  });
  assign(`${auth.domain}/oauth2/authorize?${query}`);
}

/**
 * On the way back from the hosted UI: trades the code for tokens and returns the ID token, or null
 * when this page load is no such return. Throws with a message the sign-in page can show.
 */
export async function completeSignIn(auth) {
  const params = new URLSearchParams(location.search);
  if (!params.has("code") && !params.has("error")) return null;
  const pending = JSON.parse(sessionStorage.getItem(PENDING_KEY) || "null");
  sessionStorage.removeItem(PENDING_KEY);
  history.replaceState(null, "", redirectUri() + location.hash);
  if (params.has("error")) {
    throw new Error(`Sign-in failed: ${params.get("error_description") || params.get("error")}`);
  }
  if (!pending || pending.state !== params.get("state")) {
    throw new Error("Sign-in failed: this answer does not belong to a sign-in started here. Try again.");
  }
  const response = await fetch(`${auth.domain}/oauth2/token`, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "authorization_code",
      client_id: auth.clientId,
      code: params.get("code"),
      redirect_uri: redirectUri(),
      code_verifier: pending.verifier,
    }),
  });
  const body = await response.json().catch(() => ({}));
  if (!response.ok || !body.id_token) {
    throw new Error(`Sign-in failed: ${body.error_description || body.error || `HTTP ${response.status}`}`);
  }
  return body.id_token;
}

export function signOutUrl(auth) {
  const query = new URLSearchParams({ client_id: auth.clientId, logout_uri: redirectUri() });
  return `${auth.domain}/logout?${query}`;
}
