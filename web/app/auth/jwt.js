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

/** Roles arrive as a list, or (through API Gateway) as "[admin operator]"; both are read. */
export function rolesOf(claims) {
  for (const name of ["cognito:groups", "roles"]) {
    const value = claims[name];
    if (Array.isArray(value)) return value.map(String);
    if (typeof value === "string") return value.replace(/^\[|\]$/g, "").split(/[\s,]+/).filter(Boolean);
  }
  return [];
}

export function tenantOf(claims) {
  return claims.tenant_id || claims["custom:tenant_id"] || null;
}

export function isExpired(claims, nowSeconds = Date.now() / 1000) {
  return typeof claims.exp === "number" && claims.exp <= nowSeconds;
}
