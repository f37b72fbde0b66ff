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

/** Money from the API's decimal strings ("12.30"), in its currency; the text itself if it is no number. */
export function money(amount, currency) {
  if (amount === null || amount === undefined || amount === "") return "—";
  const number = Number(amount);
  if (!Number.isFinite(number)) return String(amount);
  try {
    return new Intl.NumberFormat(undefined, { style: "currency", currency }).format(number);
  } catch {
    return `${number.toFixed(2)} ${currency || ""}`.trim();
  }
}

export function kW(value, digits = 1) {
  return value === null || value === undefined ? "—" : `${Number(value).toFixed(digits)} kW`;
}

export function amps(value) {
  return value === null || value === undefined ? "—" : `${Number(value).toFixed(1)} A`;
}

/** "2026-12-02" of a Date in the browser's time zone (what <input type=date> shows). */
export function localDate(date = new Date()) {
  const pad = (n) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

/** "2026-12-02T17:00" of a Date in the browser's time zone (what <input type=datetime-local> shows). */
export function localDateTime(date = new Date()) {
  const pad = (n) => String(n).padStart(2, "0");
  return `${localDate(date)}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/** The offset of `timeZone` from UTC at `instant`, in milliseconds (Intl knows the zone's rules). */
function zoneOffset(instant, timeZone) {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    })
      .formatToParts(instant)
      .map((part) => [part.type, part.value]),
  );
  const asUtc = Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour, parts.minute, parts.second);
  return asUtc - (instant.getTime() - instant.getMilliseconds());
}

/** The instant a day ("2026-12-02") starts in a time zone ("Europe/Berlin"); UTC if the zone is unknown. */
export function startOfDay(day, timeZone) {
  const [year, month, date] = day.split("-").map(Number);
  const guess = new Date(Date.UTC(year, month - 1, date));
  try {
    const first = new Date(guess.getTime() - zoneOffset(guess, timeZone));
    return new Date(guess.getTime() - zoneOffset(first, timeZone));
  } catch {
    return guess;
  }
}

/** Today's date ("2026-12-02") in a time zone. */
export function todayIn(timeZone, now = new Date()) {
  try {
    return new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" }).format(now);
  } catch {
    return now.toISOString().slice(0, 10);
  }
}
