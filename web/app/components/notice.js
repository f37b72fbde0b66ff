import { html } from "../lib.js";

export function Notice({ kind = "info", children }) {
  return html`<div class=${`notice ${kind}`} role=${kind === "error" ? "alert" : "status"}>${children}</div>`;
}

/** The server's own message (ApiError.message), and its per-field problems when it sent them. */
export function ErrorNotice({ error }) {
  if (!error) return null;
  const details = Array.isArray(error.details) ? error.details : [];
  return html`<${Notice} kind="error">
    <span class="error-message">${error.message}</span>
    ${details.length > 1 &&
    html`<ul>${details.map((detail) => html`<li>${detail.field}: ${detail.problem}</li>`)}</ul>`}
  <//>`;
}
