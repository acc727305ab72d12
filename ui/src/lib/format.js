// Display formatting: sizes, durations, ages, rates. Pure; null/undefined show as an em dash.

const DASH = '—';

export function formatBytes(n) {
  if (n == null || !Number.isFinite(n)) return DASH;
  if (n < 1024) return `${n} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[i]}`;
}

export function formatDuration(ms) {
  if (ms == null || !Number.isFinite(ms)) return DASH;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  const m = Math.floor(ms / 60_000);
  return `${m} min ${Math.round((ms % 60_000) / 1000)} s`;
}

export function formatAgo(ms) {
  if (ms == null || !Number.isFinite(ms)) return DASH;
  if (ms < 2000) return 'just now';
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s} s ago`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ago`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h} h ago`;
  return `${Math.floor(h / 24)} days ago`;
}

export function formatRate(perSecond) {
  if (perSecond == null || !Number.isFinite(perSecond)) return DASH;
  return perSecond >= 100 ? String(Math.round(perSecond)) : perSecond.toFixed(1);
}

export function formatClock(unixMs) {
  if (!unixMs) return DASH;
  return new Date(unixMs).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

export function shortId(id, n = 8) {
  if (!id) return DASH;
  return id.length > n ? `${id.slice(0, n)}…` : id;
}

// A time given in Unix seconds (the relay's timestamps), as a local date and time ("Dec 1, 2026, 03:44 AM").
export function formatDateTime(unixS) {
  if (!unixS || !Number.isFinite(unixS)) return DASH;
  return new Date(unixS * 1000).toLocaleString([], {
    year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit',
  });
}

// A whole number with thousands separators ("12,345"); null/undefined as an em dash.
export function formatCount(n) {
  if (n == null || !Number.isFinite(n)) return DASH;
  return Math.round(n).toLocaleString('en-US');
}
