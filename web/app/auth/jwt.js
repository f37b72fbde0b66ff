// Reading a JWT's claims in the browser. This is no verification (the API's authorizer does that);
// it only tells the app who it is showing and when to send the user back to sign-in.

export class TokenError extends Error {}

function base64UrlDecode(segment) {
  const base64 = segment.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(segment.length / 4) * 4, "=");
  const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  return new TextDecoder().decode(bytes);
}

export function decodeClaims(token) {
  const parts = String(token).trim().split(".");
  if (parts.length !== 3 || parts.some((part) => !/^[A-Za-z0-9_-]*$/.test(part)) || !parts[1]) {
    throw new TokenError("This is not a JWT (three base64url parts separated by dots).");
  }
  let claims;
  try {
    claims = JSON.parse(base64UrlDecode(parts[1]));
  } catch {
    throw new TokenError("This token's payload is not readable JSON.");
  }
  if (!claims || typeof claims !== "object") throw new TokenError("This token carries no claims.");
  return claims;
}

/** A list claim arrives as a list, or (through API Gateway) as "[admin operator]"; both are read. */
function listClaim(claims, names) {
  for (const name of names) {
    const value = claims[name];
    if (Array.isArray(value)) return value.map(String);
    if (typeof value === "string") return value.replace(/^\[|\]$/g, "").split(/[\s,]+/).filter(Boolean);
  }
  return null;
}

export function rolesOf(claims) {
  return listClaim(claims, ["cognito:groups", "roles"]) || [];
}

/** The sites a site-scoped token (property owner, energy provider) names; null when it names none. */
export function siteIdsOf(claims) {
  return listClaim(claims, ["site_ids", "custom:site_ids"]);
}

/** The billing account an account-scoped token (fleet manager, driver) acts for. */
export function accountOf(claims) {
  return claims.account_id || claims["custom:account_id"] || null;
}

export function tenantOf(claims) {
  return claims.tenant_id || claims["custom:tenant_id"] || null;
}

export function isExpired(claims, nowSeconds = Date.now() / 1000) {
  return typeof claims.exp === "number" && claims.exp <= nowSeconds;
}
