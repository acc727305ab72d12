import { describe, expect, it } from 'vitest';
import { initialClusterState, patchModels, reduceCluster } from './clusterState.js';
import { auditEntries, clusterSnapshot, relayKey, usageRows } from '../test/fixtures.js';

const ev = (event, data) => ({ type: 'event', event, data });
const run = (actions, state = initialClusterState) => actions.reduce(reduceCluster, state);

describe('cluster state reducer', () => {
  it('ignores items before the first snapshot and counts snapshots', () => {
    const snap = clusterSnapshot(1000);
    let s = run([ev('node', snap.nodes[0]), ev('key', relayKey())]);
    expect(s.snapshot).toBeNull();
    s = run([ev('snapshot', snap)], s);
    expect(s.snapshot).toBe(snap);
    expect(s.epoch).toBe(1);
    s = run([ev('snapshot', snap)], s);
    expect(s.epoch).toBe(2);
    expect(run([{ type: 'connection', connection: 'open' }], s).connection).toBe('open');
  });

  it('replaces a node in place, adds a new one, removes one, and keeps the models in line', () => {
    const snap = clusterSnapshot(1000);
    let s = run([ev('snapshot', snap)]);
    const laptop = { ...snap.nodes[1], online: false, since: 2000, models: [{ id: 'deepseek-r1-distill-7b', loaded: false }] };
    s = run([ev('node', laptop)], s);
    expect(s.snapshot.nodes.map((n) => [n.id, n.online])).toEqual([['n-studio-0001', true], ['n-laptop-0002', false]]);
    const byId = Object.fromEntries(s.snapshot.models.map((m) => [m.id, m]));
    expect(byId['deepseek-r1-distill-7b']).toEqual({ id: 'deepseek-r1-distill-7b', nodes: ['n-laptop-0002'], loaded_on: [] });
    expect(byId['qwen2.5-0.5b-instruct'].nodes).toEqual(['n-studio-0001']);

    s = run([ev('node', { ...snap.nodes[0], id: 'n-new', name: 'new', models: [{ id: 'zeta', loaded: true }] })], s);
    expect(s.snapshot.nodes).toHaveLength(3);
    expect(s.snapshot.models.at(-1)).toEqual({ id: 'zeta', nodes: ['n-new'], loaded_on: ['n-new'] });

    s = run([ev('node_removed', { id: 'n-laptop-0002' })], s);
    expect(s.snapshot.nodes.map((n) => n.id)).toEqual(['n-studio-0001', 'n-new']);
    expect(s.snapshot.models.map((m) => m.id)).toEqual(['llama3.2', 'qwen2.5-0.5b-instruct', 'zeta']);
    expect(snap.nodes).toHaveLength(2); // the snapshot object itself is never changed
  });

  it('puts a new key first and replaces a revoked one', () => {
    const snap = clusterSnapshot(1000);
    let s = run([ev('snapshot', snap), ev('key', relayKey({ id: 'k-new', name: 'new' }))]);
    expect(s.snapshot.keys.map((k) => k.id)).toEqual(['k-new', 'k-ci0001', 'k-old0002']);
    s = run([ev('key', { ...snap.keys[0], state: 'revoked', revoked_at: 5 })], s);
    expect(s.snapshot.keys.map((k) => [k.id, k.state])).toEqual([['k-new', 'active'], ['k-ci0001', 'revoked'], ['k-old0002', 'revoked']]);
  });

  it('updates, adds and removes members and invites', () => {
    let s = run([ev('snapshot', clusterSnapshot(1000))]);
    s = run([ev('member', { user_id: 'u-bob', email: 'bob@example.com', role: 'admin' })], s);
    expect(s.snapshot.members.find((m) => m.user_id === 'u-bob').role).toBe('admin');
    s = run([ev('member', { user_id: 'u-dan', email: 'dan@example.com', role: 'viewer' })], s);
    expect(s.snapshot.members).toHaveLength(4);
    s = run([ev('member', { user_id: 'u-bob', email: 'bob@example.com', role: null, removed: true })], s);
    expect(s.snapshot.members.map((m) => m.user_id)).toEqual(['u-alice', 'u-carol', 'u-dan']);
    s = run([ev('invite', { id: 'i-2', role: 'admin', email: null, created_at: 1, expires_at: 2 })], s);
    expect(s.snapshot.invites.map((i) => i.id)).toEqual(['i-2', 'i-0001']);
    s = run([ev('invite', { id: 'i-0001', role: 'viewer', accepted_at: 3 }), ev('invite', { id: 'i-2', removed: true })], s);
    expect(s.snapshot.invites).toEqual([]);
  });

  it('adds usage deltas once the rows are loaded, and merges audit entries by id, newest first', () => {
    const delta = { day: '2026-12-01', key_id: 'k-ci0001', node_id: 'n-studio-0001', model: 'm', requests: 2, failed: 1, prompt_tokens: 10, completion_tokens: 20 };
    let s = run([ev('snapshot', clusterSnapshot(1000)), { type: 'usage_loading' }, ev('usage', delta)]);
    // The fetch under way may or may not have read this flush: not added, fetched again instead.
    expect(s.usage).toBeNull();
    expect(s.usageReload).toBe(1);
    s = run([{ type: 'usage_loaded', rows: [{ ...delta }] }, ev('usage', delta), ev('usage', { ...delta, model: 'other' })], s);
    expect(s.usageReload).toBe(1);
    expect(s.usage).toEqual([
      { ...delta, requests: 4, failed: 2, prompt_tokens: 20, completion_tokens: 40 },
      { ...delta, model: 'other' },
    ]);

    const log = auditEntries(10_000_000);
    s = run([ev('audit', { id: 9, at: 10_000_001, actor: 'alice@example.com', action: 'key.create', object: 'k-x', detail: {} })], s);
    s = run([{ type: 'audit_loaded', entries: log }, ev('audit', log[0])], s);
    expect(s.audit.map((e) => e.id)).toEqual([9, 3, 2, 1]);
  });

  it('patchModels leaves other nodes alone', () => {
    const models = [{ id: 'a', nodes: ['x', 'y'], loaded_on: ['y'] }];
    expect(patchModels(models, 'x', { models: [{ id: 'a', loaded: true }] })).toEqual([{ id: 'a', nodes: ['y', 'x'], loaded_on: ['y', 'x'] }]);
    expect(patchModels(models, 'y', null)).toEqual([{ id: 'a', nodes: ['x'], loaded_on: [] }]);
    expect(usageRows(Date.UTC(2026, 11, 1), 3).every((r) => r.requests > 0)).toBe(true);
  });
});
