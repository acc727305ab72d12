import { describe, expect, it } from 'vitest';
import { addUsage, dayRange, lastDays, seriesBy } from './usage.js';

const row = (day, key_id, node_id, model, requests, tokens = 0) => ({
  day, key_id, node_id, model, requests, failed: 0, prompt_tokens: tokens, completion_tokens: tokens,
});

describe('usage series', () => {
  it('lists days inclusively in UTC', () => {
    expect(dayRange('2026-11-29', '2026-12-02')).toEqual(['2026-11-29', '2026-11-30', '2026-12-01', '2026-12-02']);
    expect(dayRange('2026-12-02', '2026-12-01')).toEqual([]);
    expect(lastDays(3, Date.UTC(2026, 2, 1, 12))).toEqual(['2026-02-27', '2026-02-28', '2026-03-01']);
  });

  it('groups rows per day by key, model or node, biggest series first, days outside dropped', () => {
    const days = ['2026-12-01', '2026-12-02'];
    const rows = [
      row('2026-12-01', 'k1', 'n1', 'a', 3, 5),
      row('2026-12-01', 'k2', 'n1', 'b', 1, 1),
      row('2026-12-02', 'k1', 'n2', 'a', 4, 10),
      row('2026-12-02', 'k2', 'n2', 'b', 7, 0),
      row('2026-11-30', 'k9', 'n9', 'z', 100, 100),
    ];
    const byKey = seriesBy(rows, 'key_id', 'requests', days, { label: (id) => id.toUpperCase() });
    expect(byKey.series).toEqual([
      { id: 'k2', label: 'K2', values: [1, 7], total: 8 },
      { id: 'k1', label: 'K1', values: [3, 4], total: 7 },
    ]);
    expect(byKey.totals).toEqual([4, 11]);
    expect(byKey.total).toBe(15);
    const tokensByNode = seriesBy(rows, 'node_id', 'tokens', days);
    expect(tokensByNode.series.map((s) => [s.id, s.values])).toEqual([['n2', [0, 20]], ['n1', [12, 0]]]);
    expect(seriesBy(rows, 'model', 'failed', days).series).toEqual([]);
  });

  it('folds the smallest series into "others" past the limit', () => {
    const rows = ['a', 'b', 'c', 'd'].map((m, i) => row('2026-12-01', 'k', 'n', m, 10 - i));
    const s = seriesBy(rows, 'model', 'requests', ['2026-12-01'], { limit: 3 });
    expect(s.series.map((x) => [x.label, x.total])).toEqual([['a', 10], ['b', 9], ['2 others', 15]]);
    expect(s.total).toBe(34);
  });

  it('adds a delta to its row or appends a new row', () => {
    const rows = [row('2026-12-01', 'k', 'n', 'a', 1, 1)];
    const more = addUsage(rows, { day: '2026-12-01', key_id: 'k', node_id: 'n', model: 'a', requests: 2, prompt_tokens: 3 });
    expect(more[0]).toMatchObject({ requests: 3, prompt_tokens: 4, completion_tokens: 1, failed: 0 });
    expect(rows[0].requests).toBe(1);
    expect(addUsage(rows, { day: '2026-12-02', key_id: 'k', requests: 1 })).toHaveLength(2);
  });
});
