// One cluster's state in the dashboard, and how the relay's events change it (/api/clusters/{id}/events).
//
// State: { snapshot, epoch, connection, usage, audit }
//   snapshot   — the last `snapshot` event (GET /api/clusters/{id}'s shape), its lists patched by later events;
//                null before the first.
//   epoch      — counts snapshots: a new one (after a reconnect) is when usage and audit are fetched again.
//   connection — "connecting" | "open" | "reconnecting".
//   usage      — the usage rows (GET …/usage) with `usage` deltas added as they come; null until fetched.
//   usageLoading, usageReload — a fetch is under way (`usage_loading` … `usage_loaded`); a delta that arrives
//                meanwhile may or may not be in what the fetch read, so it is not added: it bumps usageReload,
//                and the page fetches again (a fetch started after the delta's flush has it).
//   audit      — audit entries, newest first, unique by id: GET …/audit merged with `audit` events.
//
// Actions: { type: "event", event, data }, { type: "connection", connection },
//          { type: "usage_loading" }, { type: "usage_loaded", rows }, { type: "audit_loaded", entries }.
// Unlike the node's stream, the relay's events carry one item (a node, a key, …), not a whole list: the reducer
// puts the item in its list by id, or takes it out (`node_removed`; a member or invite marked removed).
import { addUsage } from './usage.js';

export const AUDIT_LIMIT = 200;

export const initialClusterState = {
  snapshot: null,
  epoch: 0,
  connection: 'connecting',
  usage: null,
  usageLoading: false,
  usageReload: 0,
  audit: [],
};

export const CLUSTER_EVENTS = ['snapshot', 'node', 'node_removed', 'key', 'usage', 'audit', 'member', 'invite'];

// Replaces the item of `list` with the same `idKey` as `item`, or adds it (last, or first with `front`).
export function upsert(list = [], item, idKey = 'id', front = false) {
  const i = list.findIndex((x) => x[idKey] === item[idKey]);
  if (i < 0) return front ? [item, ...list] : [...list, item];
  const out = list.slice();
  out[i] = item;
  return out;
}

// The cluster's models with node `nodeId`'s part replaced by `node`'s models (node null: the node is gone).
// A model no node has any more leaves the list; a new one is added, the list kept sorted by id.
export function patchModels(models = [], nodeId, node) {
  const mine = new Map((node?.models ?? []).map((m) => [m.id, m.loaded]));
  const out = [];
  for (const m of models) {
    const nodes = (m.nodes ?? []).filter((n) => n !== nodeId);
    const loadedOn = (m.loaded_on ?? []).filter((n) => n !== nodeId);
    if (mine.has(m.id)) {
      nodes.push(nodeId);
      if (mine.get(m.id)) loadedOn.push(nodeId);
      mine.delete(m.id);
    }
    if (nodes.length) out.push({ ...m, nodes, loaded_on: loadedOn });
  }
  for (const [id, loaded] of mine) out.push({ id, nodes: [nodeId], loaded_on: loaded ? [nodeId] : [] });
  return out.sort((a, b) => a.id.localeCompare(b.id));
}

const gone = (item) => Boolean(item?.removed || item?.revoked_at || item?.accepted_at);

function mergeAudit(current, entries) {
  const seen = new Set();
  const out = [];
  for (const e of [...entries, ...current]) {
    if (e?.id == null || seen.has(e.id)) continue;
    seen.add(e.id);
    out.push(e);
  }
  out.sort((a, b) => (b.at ?? 0) - (a.at ?? 0));
  return out.slice(0, AUDIT_LIMIT);
}

function applyToSnapshot(s, event, data) {
  switch (event) {
    case 'node':
      return { ...s, nodes: upsert(s.nodes, data), models: patchModels(s.models, data.id, data) };
    case 'node_removed':
      return { ...s, nodes: (s.nodes ?? []).filter((n) => n.id !== data.id), models: patchModels(s.models, data.id, null) };
    case 'key':
      return { ...s, keys: upsert(s.keys, data, 'id', true) };
    case 'member':
      return gone(data) || data.role == null
        ? { ...s, members: (s.members ?? []).filter((m) => m.user_id !== data.user_id) }
        : { ...s, members: upsert(s.members, data, 'user_id') };
    case 'invite':
      return gone(data)
        ? { ...s, invites: (s.invites ?? []).filter((i) => i.id !== data.id) }
        : { ...s, invites: upsert(s.invites, data, 'id', true) };
    default:
      return s;
  }
}

export function reduceCluster(state, action) {
  switch (action.type) {
    case 'connection':
      return state.connection === action.connection ? state : { ...state, connection: action.connection };
    case 'usage_loading':
      return { ...state, usageLoading: true };
    case 'usage_loaded':
      return { ...state, usage: action.rows ?? [], usageLoading: false };
    case 'audit_loaded':
      return { ...state, audit: mergeAudit(state.audit, action.entries ?? []) };
    case 'event': {
      const { event, data } = action;
      if (!data || typeof data !== 'object') return state;
      if (event === 'snapshot') return { ...state, snapshot: data, epoch: state.epoch + 1 };
      if (event === 'usage') {
        if (state.usageLoading || !state.usage) return { ...state, usageReload: state.usageReload + 1 };
        return { ...state, usage: addUsage(state.usage, data) };
      }
      if (event === 'audit') return { ...state, audit: mergeAudit(state.audit, [data]) };
      if (!state.snapshot) return state; // an item before the whole: the snapshot that follows has it
      const snapshot = applyToSnapshot(state.snapshot, event, data);
      return snapshot === state.snapshot ? state : { ...state, snapshot };
    }
    default:
      return state;
  }
}
