// The one place the vendored framework is imported: views take `html` and the hooks from here.
// htm's tagged templates build Preact elements; every ${value} becomes a text node or a property,
// never parsed HTML, which is what keeps what the API returns from being executed.
import { h, render, Fragment } from "../vendor/preact.js";
import htm from "../vendor/htm.js";

export { h, render, Fragment };
export { useState, useEffect, useRef, useMemo, useCallback, useReducer } from "../vendor/hooks.js";
export const html = htm.bind(h);
