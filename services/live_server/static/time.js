// Time helpers. Times from the server are ISO 8601 UTC strings; the page shows UTC too.

const ZONE = /(?:[zZ]|[+-]\d\d:?\d\d)$/;

/** Milliseconds since the epoch for an ISO 8601 string (NaN when missing or invalid). */
export function parseTime(iso) {
  if (typeof iso !== "string" || iso === "") return NaN;
  // Date.parse wants at most millisecond precision and an explicit zone.
  let text = iso.replace(/(\.\d{3})\d+/, "$1");
  if (!ZONE.test(text)) text += "Z";
  return Date.parse(text);
}

const pad = (n, width = 2) => String(n).padStart(width, "0");

/** "HH:MM:SS" in UTC. */
export function clockUTC(ms) {
  if (!Number.isFinite(ms)) return "—";
  const d = new Date(ms);
  return `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
}

/** "HH:MM:SS.mmm" in UTC. */
export function clockMillisUTC(ms) {
  if (!Number.isFinite(ms)) return "—";
  return `${clockUTC(ms)}.${pad(new Date(ms).getUTCMilliseconds(), 3)}`;
}

/** "YYYY-MM-DD HH:MM:SS UTC". */
export function dateTimeUTC(ms) {
  if (!Number.isFinite(ms)) return "—";
  const d = new Date(ms);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${clockUTC(ms)} UTC`;
}

/** A short "5s ago" / "3m ago" for a past instant. */
export function ago(ms, now = Date.now()) {
  if (!Number.isFinite(ms)) return "";
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m ago`;
  return `${Math.floor(s / 86400)}d ago`;
}
