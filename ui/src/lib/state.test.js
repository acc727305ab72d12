import { describe, expect, it } from 'vitest';
import { RECENT_LIMIT, initialState, reduce } from './state.js';
import { emptySnapshot, fullSnapshot } from '../test/fixtures.js';

const ev = (event, data, at = 1000) => ({ type: 'event', event, data, at });

describe('event-state reducer', () => {
  it('ignores parts before the first snapshot, then takes the snapshot whole', () => {
    let s = reduce(initialState, ev('nodes', []));
    expect(s.snapshot).toBeNull();
    const snap = fullSnapshot(0);
    s = reduce(s, ev('snapshot', snap, 5));
    expect(s.snapshot).toBe(snap);
    expect(s.nodesAt).toBe(5);
  });

  it('replaces exactly one part per event kind and leaves the others untouched', () => {
    const snap = fullSnapshot(0);
    const base = reduce(initialState, ev('snapshot', snap));
    const cases = {
      node: [{ ...snap.node, name: 'renamed' }, (s) => s.node],
      nodes: [[snap.nodes[0]], (s) => s.nodes],
      models: [[], (s) => s.models],
      engines: [[snap.engines[0]], (s) => s.engines],
      relay: [null, (s) => s.relay],
      cluster: [{ id: 'c2', fingerprint: 'f2' }, (s) => s.cluster],
      settings: [{ ...snap.settings, models_dir: '/m' }, (s) => s.settings],
      models_folder: [{ path: '/m', files: [{ name: 'a.gguf', size_bytes: 1 }] }, (s) => s.models_folder],
    };
    for (const [kind, [data, part]] of Object.entries(cases)) {
      const next = reduce(base, ev(kind, data));
      expect(part(next.snapshot), kind).toEqual(data);
      for (const key of Object.keys(snap)) {
        if (key === kind) continue;
        expect(next.snapshot[key], `${kind} must not touch ${key}`).toBe(snap[key]);
      }
    }
  });

  it('load sets in_flight; request puts its record first, sets in_flight, keeps at most 50', () => {
    let s = reduce(initialState, ev('snapshot', emptySnapshot(0)));
    s = reduce(s, ev('load', { in_flight: 3 }));
    expect(s.snapshot.requests).toEqual({ in_flight: 3, recent: [] });
    for (let i = 0; i < RECENT_LIMIT + 5; i++) {
      s = reduce(s, ev('request', { record: { request_id: `r${i}`, at: i }, in_flight: 2 }));
    }
    expect(s.snapshot.requests.in_flight).toBe(2);
    expect(s.snapshot.requests.recent).toHaveLength(RECENT_LIMIT);
    expect(s.snapshot.requests.recent[0].request_id).toBe(`r${RECENT_LIMIT + 4}`);
  });

  it('a nodes event restarts the last-seen clock; others do not', () => {
    let s = reduce(initialState, ev('snapshot', fullSnapshot(0), 10));
    s = reduce(s, ev('models', [], 20));
    expect(s.nodesAt).toBe(10);
    s = reduce(s, ev('nodes', [], 30));
    expect(s.nodesAt).toBe(30);
  });

  it('restarting is set by the event or a write, and cleared by the next snapshot', () => {
    let s = reduce(initialState, ev('snapshot', emptySnapshot(0)));
    s = reduce(s, ev('restarting', { reason: 'cluster join' }));
    expect(s.restarting).toEqual({ reason: 'cluster join' });
    s = reduce(s, ev('snapshot', fullSnapshot(0)));
    expect(s.restarting).toBeNull();
    s = reduce(s, { type: 'restarting', reason: 'cluster change' });
    expect(s.restarting).toEqual({ reason: 'cluster change' });
  });

  it('tracks the connection state', () => {
    const s = reduce(initialState, { type: 'connection', connection: 'open' });
    expect(s.connection).toBe('open');
    expect(reduce(s, { type: 'connection', connection: 'open' })).toBe(s);
    expect(reduce(s, { type: 'connection', connection: 'reconnecting' }).connection).toBe('reconnecting');
  });
});
