// A QR code drawn as one SVG path from the vendored qrcode-generator's module matrix: no image data
// URL, no markup string, nothing parsed (the path's `d` is a property like any other).
import { html } from "../lib.js";
import qrcode from "../../vendor/qrcode.js";
import { stringToBytes } from "../../vendor/qrcode-utf8.js";

qrcode.stringToBytes = stringToBytes;
const QUIET_ZONE = 4;

/** The dark modules of `text` (byte mode, UTF-8, error correction M, the smallest version it fits). */
export function qrMatrix(text) {
  const code = qrcode(0, "M");
  code.addData(text, "Byte");
  code.make();
  const size = code.getModuleCount();
  const rows = [];
  for (let row = 0; row < size; row += 1) {
    const cells = [];
    for (let column = 0; column < size; column += 1) cells.push(code.isDark(row, column));
    rows.push(cells);
  }
  return rows;
}

export function QrCode({ text, label }) {
  const rows = qrMatrix(text);
  const size = rows.length + 2 * QUIET_ZONE;
  let path = "";
  rows.forEach((cells, row) =>
    cells.forEach((dark, column) => {
      if (dark) path += `M${column + QUIET_ZONE} ${row + QUIET_ZONE}h1v1h-1z`;
    }),
  );
  return html`<svg class="qr" viewBox=${`0 0 ${size} ${size}`} role="img" aria-label=${label}
      data-modules=${String(rows.length)} shape-rendering="crispEdges">
    <rect width=${size} height=${size} fill="#fff" />
    <path d=${path} fill="#000" />
  </svg>`;
}
