// Display formats. Everything returns plain strings: they are rendered as text.

export function dateTime(iso) {
  if (!iso) return "—";
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? String(iso) : date.toLocaleString();
}

export function time(iso) {
  if (!iso) return "—";
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? String(iso) : date.toLocaleTimeString();
}

export function ago(iso, now = Date.now()) {
  if (!iso) return "never";
  const seconds = Math.round((now - new Date(iso).getTime()) / 1000);
  if (Number.isNaN(seconds)) return String(iso);
  if (seconds < 5) return "just now";
  if (seconds < 90) return `${seconds} s ago`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min ago`;
  if (seconds < 129600) return `${Math.round(seconds / 3600)} h ago`;
  return `${Math.round(seconds / 86400)} days ago`;
}

export function kWh(wh) {
  return wh === null || wh === undefined ? "—" : `${(wh / 1000).toFixed(2)} kWh`;
}

export function duration(startIso, stopIso, now = Date.now()) {
  if (!startIso) return "—";
  const end = stopIso ? new Date(stopIso).getTime() : now;
  const minutes = Math.max(0, Math.round((end - new Date(startIso).getTime()) / 60000));
  return minutes < 60 ? `${minutes} min` : `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

export function json(value) {
  return value === null || value === undefined ? "" : JSON.stringify(value);
}
