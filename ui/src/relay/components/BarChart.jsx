// A stacked bar chart per day, drawn by hand in SVG, with its numbers also as a table (for screen readers, and
// for people who want the figures: "Show as table"). data: lib/usage.js's seriesBy() result.
import { useId, useState } from 'react';
import { formatCount } from '../../lib/format.js';

export const PALETTE = ['#6366f1', '#10b981', '#f59e0b', '#ef4444', '#0ea5e9', '#a855f7', '#64748b'];

const W = 720;
const H = 180;
const PAD = { left: 44, right: 8, top: 8, bottom: 22 };

// The top of the scale: the first of 2, 4, 6, 8, 10 times a power of ten that holds `v`. Counts are whole
// numbers, so the middle gridline (half of it) is a whole number too and its label is exact.
export function niceMax(v) {
  if (v <= 2) return 2;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [2, 4, 6, 8, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

export default function BarChart({ title, unit, data, testId }) {
  const id = useId();
  const [table, setTable] = useState(false);
  const { days, series, totals, total } = data;
  const max = niceMax(Math.max(0, ...totals));
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const step = days.length ? plotW / days.length : plotW;
  const barW = Math.max(2, step * 0.7);
  const y = (v) => PAD.top + plotH - (v / max) * plotH;
  const summary =
    total > 0
      ? `${title}: ${formatCount(total)} ${unit} over ${days.length} days, ${series
          .map((s) => `${s.label} ${formatCount(s.total)}`)
          .join(', ')}`
      : `${title}: no ${unit} in these ${days.length} days`;
  const labelEvery = Math.ceil(days.length / 8);
  return (
    <figure data-testid={testId} className="flex flex-col gap-2">
      <figcaption className="flex items-center justify-between gap-2">
        <span className="text-sm font-semibold text-slate-800">{title}</span>
        <button type="button" className="text-xs text-indigo-700 hover:underline" onClick={() => setTable((t) => !t)}>
          {table ? 'Show as chart' : 'Show as table'}
        </button>
      </figcaption>
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={summary} className="h-auto w-full" hidden={table}>
        {[0, 0.5, 1].map((f) => (
          <g key={f}>
            <line x1={PAD.left} x2={W - PAD.right} y1={y(max * f)} y2={y(max * f)} stroke="#e2e8f0" />
            <text x={PAD.left - 6} y={y(max * f) + 4} textAnchor="end" fontSize="10" fill="#64748b">
              {formatCount(max * f)}
            </text>
          </g>
        ))}
        {days.map((d, i) => {
          let base = 0;
          const x = PAD.left + i * step + (step - barW) / 2;
          return (
            <g key={d}>
              <title>{`${d}: ${formatCount(totals[i])} ${unit}${series
                .filter((s) => s.values[i])
                .map((s) => ` · ${s.label} ${formatCount(s.values[i])}`)
                .join('')}`}</title>
              <rect x={PAD.left + i * step} y={PAD.top} width={step} height={plotH} fill="transparent" />
              {series.map((s, k) => {
                const v = s.values[i];
                if (!v) return null;
                const top = y(base + v);
                const h = y(base) - top;
                base += v;
                return <rect key={s.id} x={x} y={top} width={barW} height={Math.max(0.5, h)} fill={PALETTE[k % PALETTE.length]} />;
              })}
              {i % labelEvery === 0 && (
                <text x={x + barW / 2} y={H - 6} textAnchor="middle" fontSize="10" fill="#64748b">
                  {d.slice(5)}
                </text>
              )}
            </g>
          );
        })}
      </svg>
      {!table && series.length > 0 && (
        <ul className="flex flex-wrap gap-x-4 gap-y-1 text-xs text-slate-600" aria-hidden="true">
          {series.map((s, k) => (
            <li key={s.id} className="flex items-center gap-1.5">
              <span className="inline-block h-2.5 w-2.5 rounded-sm" style={{ background: PALETTE[k % PALETTE.length] }} />
              {s.label} <span className="tabular-nums text-slate-400">{formatCount(s.total)}</span>
            </li>
          ))}
        </ul>
      )}
      <div className={table ? 'overflow-x-auto' : 'sr-only'}>
        <table className="min-w-full text-left text-xs" aria-describedby={id}>
          <caption id={id} className="sr-only">
            {summary}
          </caption>
          <thead>
            <tr className="text-slate-500">
              <th scope="col" className="py-1 pr-3 font-medium">Day</th>
              {series.map((s) => (
                <th key={s.id} scope="col" className="py-1 pr-3 font-medium">{s.label}</th>
              ))}
              <th scope="col" className="py-1 font-medium">Total</th>
            </tr>
          </thead>
          <tbody>
            {days.map((d, i) =>
              totals[i] || table ? (
                <tr key={d} className="border-t border-slate-100 tabular-nums">
                  <th scope="row" className="py-1 pr-3 font-normal">{d}</th>
                  {series.map((s) => (
                    <td key={s.id} className="py-1 pr-3">{formatCount(s.values[i])}</td>
                  ))}
                  <td className="py-1">{formatCount(totals[i])}</td>
                </tr>
              ) : null,
            )}
          </tbody>
        </table>
      </div>
    </figure>
  );
}
