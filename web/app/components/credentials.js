// What a charger needs to connect, from the answer of POST /v1/stations (and of approving a pending
// station): the OCPP URL, the subprotocols, the Basic auth user, and a generated password, which the
// API shows only in that answer. A copyable snippet and a QR code of the same JSON.
import { html, useState } from "../lib.js";
import { Notice } from "./notice.js";
import { QrCode } from "./qr.js";

/** The QR code's payload: the snippet's JSON, the password only when the platform generated one. */
export function connectionPayload(answer) {
  const payload = {
    stationId: answer.stationId,
    ocppUrl: answer.ocppUrl,
    subprotocols: answer.subprotocols,
    basicAuthUser: answer.basicAuthUser,
  };
  if (answer.password) payload.password = answer.password;
  return JSON.stringify(payload);
}

export function snippet(answer) {
  const lines = [
    `OCPP server URL:  ${answer.ocppUrl}`,
    `Subprotocols:     ${(answer.subprotocols || []).join(", ")}`,
    `Basic auth user:  ${answer.basicAuthUser}`,
    `Password:         ${answer.password || "(the one you gave)"}`,
  ];
  return lines.join("\n");
}

function CopyButton({ text, label }) {
  const [state, setState] = useState(null);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
      setState("Copied.");
    } catch (error) {
      setState(`Not copied (${error.message}): select the text and copy it.`);
    }
  };
  return html`<button type="button" onClick=${copy}>${label}</button>${state && html` <span class="muted" role="status">${state}</span>`}`;
}

export function StationCredentials({ answer }) {
  const payload = connectionPayload(answer);
  const text = snippet(answer);
  return html`
    <section class="card credentials" aria-label="Connection details">
      <h2>Connect ${answer.stationId}</h2>
      ${answer.password &&
      html`<${Notice} kind="warning">This password is shown only now: the platform keeps only its hash. Copy it
        into the charger (or scan the code) before you leave this page.<//>`}
      <div class="credentials-grid">
        <div>
          <dl class="facts">
            <dt>OCPP server URL</dt><dd><code data-field="ocppUrl">${answer.ocppUrl}</code></dd>
            <dt>Subprotocols</dt><dd><code data-field="subprotocols">${(answer.subprotocols || []).join(", ")}</code></dd>
            <dt>Basic auth user</dt><dd><code data-field="basicAuthUser">${answer.basicAuthUser}</code></dd>
            <dt>Password</dt><dd>${answer.password
              ? html`<code data-field="password">${answer.password}</code>`
              : html`<span class="muted">the one given at registration (not shown again)</span>`}</dd>
            <dt>Registration</dt><dd>${answer.registration || "—"}</dd>
          </dl>
          <pre class="snippet" data-testid="snippet">${text}</pre>
          <div class="toolbar">
            <${CopyButton} text=${text} label="Copy settings" />
            <${CopyButton} text=${payload} label="Copy JSON" />
          </div>
        </div>
        <figure class="qr-figure">
          <${QrCode} text=${payload} label=${`QR code of the connection settings of ${answer.stationId}`} />
          <figcaption class="muted">JSON: stationId, ocppUrl, subprotocols, basicAuthUser${answer.password ? ", password" : ""}</figcaption>
          <code class="qr-payload" data-testid="qr-payload">${payload}</code>
        </figure>
      </div>
    </section>
  `;
}
