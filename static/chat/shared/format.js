/* Times, durations and file sizes in a given language. Pure functions. */

function toDate(iso) {
  if (!iso) return null;
  const d = new Date(iso);
  return isNaN(d) ? null : d;
}

/** A message's time of day ("2:05 PM", "14:05"). `options` are extra
 * Intl.DateTimeFormat options (timeZone, hour12 …). "" for a bad date. */
export function formatTime(iso, lang, options) {
  const d = toDate(iso);
  if (!d) return "";
  try {
    return new Intl.DateTimeFormat(lang, { hour: "numeric", minute: "2-digit", ...(options || {}) }).format(d);
  } catch (e) {
    return d.toLocaleTimeString();
  }
}

/** A day and time with the zone ("Monday, May 6, 9:00 AM EDT"), in
 * `timeZone` (a library's hours are in its own zone) or the browser's. */
export function formatWhen(iso, lang, timeZone) {
  const d = toDate(iso);
  if (!d) return "";
  try {
    return new Intl.DateTimeFormat(lang, {
      weekday: "long", month: "long", day: "numeric", hour: "numeric", minute: "2-digit",
      timeZoneName: "short", timeZone: timeZone || undefined,
    }).format(d);
  } catch (e) {
    return d.toLocaleString();
  }
}

/** Elapsed milliseconds as m:ss, or h:mm:ss from an hour. */
export function formatDuration(ms) {
  const s = Math.max(0, Math.floor((Number(ms) || 0) / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  const pad = (x) => (x < 10 ? "0" : "") + x;
  return h ? h + ":" + pad(m) + ":" + pad(sec) : m + ":" + pad(sec);
}

/** A file size: "512 bytes", "1.5 KB", "12 KB", "3.4 MB" with the
 * language's decimal mark. `bytesLabel` is the template for small sizes. */
export function formatSize(n, lang, bytesLabel = "{n} bytes") {
  n = Number(n) || 0;
  const nf = (x, d) => x.toLocaleString(lang, { maximumFractionDigits: d });
  if (n < 1024) return bytesLabel.replace("{n}", nf(n, 0));
  if (n < 1024 * 1024) return nf(n / 1024, n < 10240 ? 1 : 0) + " KB";
  return nf(n / 1048576, 1) + " MB";
}
