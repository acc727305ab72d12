// The UI's one copy of the node's state, and how events change it.
//
// State: { snapshot, nodesAt, connection, restarting }
//   snapshot   — the last `Snapshot` (docs/ui-api.md), its parts replaced by later events; null before the first.
//   nodesAt    — Date.now() when `snapshot.nodes` was last replaced (each node's last_seen_ms_ago counts from it).
//   connection — "connecting" | "open" | "reconnecting": the EventSource's state.
//   restarting — null, or { reason } from the node's `restarting` event or a write that answered restarting:true;
//                cleared by the next `snapshot` (the re-exec'd node's first event).
//
// Actions: { type: "event", event: <SSE event name>, data: <parsed JSON>, at: <Date.now()> }
//          { type: "connection", connection }
//          { type: "restarting", reason }
// Every event carries the whole new value of one part (never a diff), so the reducer only replaces that part;
// `request` is the one that adds: its record goes first in requests.recent (newest first, at most 50).

export const RECENT_LIMIT = 50;

export const initialState = { snapshot: null, nodesAt: 0, connection: 'connecting', restarting: null };

function replacePart(snapshot, event, data) {
  switch (event) {
    case 'node':
      return { ...snapshot, node: data };
    case 'nodes':
      return { ...snapshot, nodes: data };
    case 'models':
      return { ...snapshot, models: data };
    case 'engines':
      return { ...snapshot, engines: data };
    case 'relay':
      return { ...snapshot, relay: data };
    case 'cluster':
      return { ...snapshot, cluster: data };
    case 'settings':
      return { ...snapshot, settings: data };
    case 'models_folder':
      return { ...snapshot, models_folder: data };
    case 'update':
      return { ...snapshot, update: data };
    case 'load':
      return { ...snapshot, requests: { ...snapshot.requests, in_flight: data.in_flight } };
    case 'request': {
      const recent = [data.record, ...(snapshot.requests?.recent ?? [])].slice(0, RECENT_LIMIT);
      return { ...snapshot, requests: { in_flight: data.in_flight, recent } };
    }
    default:
      return snapshot;
  }
}

export function reduce(state, action) {
  switch (action.type) {
    case 'connection':
      return state.connection === action.connection ? state : { ...state, connection: action.connection };
    case 'restarting':
      return { ...state, restarting: { reason: action.reason ?? '' } };
    case 'event': {
      const { event, data, at = Date.now() } = action;
      if (event === 'snapshot') return { ...state, snapshot: data, nodesAt: at, restarting: null };
      if (event === 'restarting') return { ...state, restarting: { reason: data?.reason ?? '' } };
      if (!state.snapshot) return state; // a part before the whole: wait for the snapshot
      const snapshot = replacePart(state.snapshot, event, data);
      if (snapshot === state.snapshot) return state;
      return { ...state, snapshot, nodesAt: event === 'nodes' ? at : state.nodesAt };
    }
    default:
      return state;
  }
}

// The SSE event names the node sends (each is listened to by name).
export const EVENT_NAMES = [
  'snapshot', 'node', 'nodes', 'models', 'engines', 'load', 'request', 'relay', 'cluster', 'settings',
  'models_folder', 'update', 'restarting', 'stopping',
];
