// Numbers and times as people read them: "3 min ago", "3.2 KB", "1.2k", "12.4 s".

export function relativeTime(iso, now = Date.now()) {
  const then = Date.parse(iso);
  if (Number.isNaN(then)) return "";
  const seconds = Math.max(0, Math.round((now - then) / 1000));
  if (seconds < 45) return "just now";
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 24) return `${hours} h ago`;
  const days = Math.round(hours / 24);
  if (days === 1) return "yesterday";
  if (days < 7) return `${days} days ago`;
  return new Date(then).toLocaleDateString(undefined, { day: "numeric", month: "short", year: "numeric" });
}

export function absoluteTime(iso) {
  const then = Date.parse(iso);
  return Number.isNaN(then) ? "" : new Date(then).toLocaleString();
}

export function bytes(n) {
  if (n == null) return "";
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

export function tokens(n) {
  if (n == null) return "";
  if (n < 1000) return String(n);
  if (n < 1_000_000) return `${(n / 1000).toFixed(n < 10_000 ? 1 : 0)}k`;
  return `${(n / 1_000_000).toFixed(1)}M`;
}

export function duration(ms) {
  if (ms == null) return "";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  return `${m} min ${Math.round(s - m * 60)} s`;
}

export function seconds(ms) {
  return `${Math.max(0, Math.floor(ms / 1000))} s`;
}

const utf8 = new TextEncoder();
export function byteLength(text) {
  return utf8.encode(text).length;
}

// Keeps every <time data-relative datetime="..."> on the page current.
export function refreshRelativeTimes(root = document) {
  for (const el of root.querySelectorAll("time[data-relative]")) {
    const iso = el.getAttribute("datetime");
    el.textContent = relativeTime(iso);
    if (!el.title) el.title = absoluteTime(iso);
  }
}

export function keepRelativeTimesFresh() {
  refreshRelativeTimes();
  setInterval(refreshRelativeTimes, 30_000);
}
