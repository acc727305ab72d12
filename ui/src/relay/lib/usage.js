// Usage rows ({day,key_id,node_id,model,requests,failed,prompt_tokens,completion_tokens}, one per day × key ×
// node × model) grouped into chart series: per day, split by key, model or node. Pure.

export const METRICS = {
  requests: { label: 'Requests', of: (r) => r.requests ?? 0 },
  tokens: { label: 'Tokens', of: (r) => (r.prompt_tokens ?? 0) + (r.completion_tokens ?? 0) },
  failed: { label: 'Failed requests', of: (r) => r.failed ?? 0 },
};

export const DIMENSIONS = {
  key_id: 'key',
  model: 'model',
  node_id: 'node',
};

const DAY_MS = 86_400_000;

// YYYY-MM-DD (UTC) of a Date or a time in ms.
export function dayOf(t) {
  return new Date(t).toISOString().slice(0, 10);
}

// Every day from `from` to `to` (YYYY-MM-DD, inclusive, UTC), oldest first; [] when from > to.
export function dayRange(from, to) {
  const out = [];
  const end = Date.parse(`${to}T00:00:00Z`);
  for (let t = Date.parse(`${from}T00:00:00Z`); t <= end && out.length < 3660; t += DAY_MS) out.push(dayOf(t));
  return out;
}

// The last `n` days up to the day of `now`.
export function lastDays(n, now = Date.now()) {
  return dayRange(dayOf(now - (n - 1) * DAY_MS), dayOf(now));
}

const rowKey = (r) => `${r.day}\u0000${r.key_id ?? ''}\u0000${r.node_id ?? ''}\u0000${r.model ?? ''}`;
const COUNTERS = ['requests', 'failed', 'prompt_tokens', 'completion_tokens'];

// Adds a `usage` event's deltas to `rows` (a new array; the matching row gets the sums, or a new row goes last).
export function addUsage(rows, delta) {
  const k = rowKey(delta);
  let found = false;
  const out = rows.map((r) => {
    if (rowKey(r) !== k) return r;
    found = true;
    const sum = { ...r };
    for (const c of COUNTERS) sum[c] = (r[c] ?? 0) + (delta[c] ?? 0);
    return sum;
  });
  if (!found) {
    const row = { day: delta.day, key_id: delta.key_id ?? '', node_id: delta.node_id ?? '', model: delta.model ?? '' };
    for (const c of COUNTERS) row[c] = delta[c] ?? 0;
    out.push(row);
  }
  return out;
}

// Series of `metric` per day of `days`, one per value of `dim` ("key_id" | "model" | "node_id"), biggest total
// first; past `limit` series the smallest are summed into one named "other". `label(id)` names a series.
// → { days, series: [{ id, label, values: [per day], total }], totals: [per day], total }
export function seriesBy(rows, dim, metric, days, { limit = 6, label = (id) => id || '—' } = {}) {
  const of = METRICS[metric].of;
  const index = new Map(days.map((d, i) => [d, i]));
  const byId = new Map();
  for (const r of rows) {
    const i = index.get(r.day);
    if (i === undefined) continue;
    const id = r[dim] ?? '';
    if (!byId.has(id)) byId.set(id, new Array(days.length).fill(0));
    byId.get(id)[i] += of(r);
  }
  let series = [...byId.entries()]
    .map(([id, values]) => ({ id, label: label(id), values, total: values.reduce((a, b) => a + b, 0) }))
    .filter((s) => s.total > 0)
    .sort((a, b) => b.total - a.total || String(a.label).localeCompare(String(b.label)));
  if (series.length > limit) {
    const rest = series.slice(limit - 1);
    const values = days.map((_, i) => rest.reduce((a, s) => a + s.values[i], 0));
    series = [...series.slice(0, limit - 1), { id: '\u0000other', label: `${rest.length} others`, values, total: values.reduce((a, b) => a + b, 0) }];
  }
  const totals = days.map((_, i) => series.reduce((a, s) => a + s.values[i], 0));
  return { days, series, totals, total: totals.reduce((a, b) => a + b, 0) };
}
