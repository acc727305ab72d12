// Usage over time: requests or tokens per day, split by key, by model and by node (three stacked bar charts,
// each with its table). Rows come from GET …/usage, with the relay's `usage` events added as they come.
import { useMemo, useState } from 'react';
import { Card, ErrorText, PageTitle, inputClass } from '../../components/ui.jsx';
import { formatCount } from '../../lib/format.js';
import BarChart from '../components/BarChart.jsx';
import { METRICS, lastDays, seriesBy } from '../lib/usage.js';

export const RANGES = [7, 14, 30];

export default function Usage({ snapshot, usage, error, days: totalDays = 30 }) {
  const [metric, setMetric] = useState('requests');
  const [range, setRange] = useState(totalDays);
  const days = useMemo(() => lastDays(Math.min(range, totalDays)), [range, totalDays]);
  const keyNames = new Map((snapshot.keys ?? []).map((k) => [k.id, k.name || k.id]));
  const nodeNames = new Map((snapshot.nodes ?? []).map((n) => [n.id, n.name || n.id]));
  const rows = usage ?? [];
  const unit = metric === 'tokens' ? 'tokens' : 'requests';
  const charts = [
    { dim: 'key_id', title: `${METRICS[metric].label} per day by key`, label: (id) => keyNames.get(id) ?? (id || 'no key'), testId: 'usage-by-key' },
    { dim: 'model', title: `${METRICS[metric].label} per day by model`, label: (id) => id || '—', testId: 'usage-by-model' },
    { dim: 'node_id', title: `${METRICS[metric].label} per day by node`, label: (id) => nodeNames.get(id) ?? (id || '—'), testId: 'usage-by-node' },
  ];
  const inRange = new Set(days);
  const sums = rows.filter((r) => inRange.has(r.day)).reduce(
    (a, r) => ({
      requests: a.requests + (r.requests ?? 0),
      failed: a.failed + (r.failed ?? 0),
      tokens: a.tokens + (r.prompt_tokens ?? 0) + (r.completion_tokens ?? 0),
    }),
    { requests: 0, failed: 0, tokens: 0 },
  );
  return (
    <div>
      <PageTitle title="Usage" subtitle="Requests and tokens per day (UTC), as the relay counted them" />
      <div className="mb-4 flex flex-wrap items-end gap-4">
        <label className="flex flex-col gap-1 text-xs font-medium text-slate-600">
          Measure
          <select className={inputClass} value={metric} onChange={(e) => setMetric(e.target.value)}>
            <option value="requests">Requests</option>
            <option value="tokens">Tokens</option>
            <option value="failed">Failed requests</option>
          </select>
        </label>
        <label className="flex flex-col gap-1 text-xs font-medium text-slate-600">
          Period
          <select className={inputClass} value={range} onChange={(e) => setRange(Number(e.target.value))}>
            {RANGES.filter((r) => r <= totalDays).map((r) => (
              <option key={r} value={r}>Last {r} days</option>
            ))}
          </select>
        </label>
        <dl className="flex gap-6 text-sm" data-testid="usage-totals">
          <div><dt className="text-xs text-slate-500">Requests</dt><dd className="font-semibold tabular-nums">{formatCount(sums.requests)}</dd></div>
          <div><dt className="text-xs text-slate-500">Failed</dt><dd className="font-semibold tabular-nums">{formatCount(sums.failed)}</dd></div>
          <div><dt className="text-xs text-slate-500">Tokens</dt><dd className="font-semibold tabular-nums">{formatCount(sums.tokens)}</dd></div>
        </dl>
      </div>
      <ErrorText>{error}</ErrorText>
      {usage === null && !error && <p className="text-sm text-slate-500">Loading usage…</p>}
      <div className="flex flex-col gap-4">
        {charts.map((c) => (
          <Card key={c.dim}>
            <BarChart title={c.title} unit={unit} testId={c.testId} data={seriesBy(rows, c.dim, metric, days, { label: c.label })} />
          </Card>
        ))}
      </div>
    </div>
  );
}
