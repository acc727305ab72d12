// The one EventSource of a cluster's page (/api/clusters/{id}/events): a `snapshot`, then one event per
// change, fed to the reducer of lib/clusterState.js. No polling: data comes only from this stream, plus one
// fetch of usage and of the audit log after each snapshot (lib/clusterState.js's epoch).
//
// Reconnecting: the browser retries a dropped stream by itself (state "reconnecting" meanwhile). When it gives
// up (readyState CLOSED: the relay answered an error, e.g. 401 after the session ended), the hook asks
// GET /api/me — a 401 there sends the app to sign-in (lib/api.js) — and opens a new stream after backoffMs().
import { useEffect } from 'react';
import { CLUSTER_EVENTS } from './lib/clusterState.js';
import { backoffMs } from './lib/backoff.js';
import { get } from './lib/api.js';

const CLOSED = 2; // EventSource.CLOSED

export function eventsUrl(clusterId) {
  return `/api/clusters/${encodeURIComponent(clusterId)}/events`;
}

export function useClusterStream(clusterId, dispatch) {
  useEffect(() => {
    let source = null;
    let retry = null;
    let attempt = 0;
    let stopped = false;
    const open = () => {
      if (stopped) return;
      source = new EventSource(eventsUrl(clusterId));
      source.onopen = () => {
        attempt = 0;
        dispatch({ type: 'connection', connection: 'open' });
      };
      source.onerror = () => {
        dispatch({ type: 'connection', connection: 'reconnecting' });
        if (source.readyState !== CLOSED || stopped) return;
        source.close();
        const delay = backoffMs(attempt++);
        get('/api/me')
          .catch(() => null)
          .finally(() => {
            if (!stopped) retry = setTimeout(open, delay);
          });
      };
      for (const name of CLUSTER_EVENTS) {
        source.addEventListener(name, (e) => {
          let data;
          try {
            data = JSON.parse(e.data);
          } catch {
            return;
          }
          dispatch({ type: 'event', event: name, data });
        });
      }
    };
    dispatch({ type: 'connection', connection: 'connecting' });
    open();
    return () => {
      stopped = true;
      clearTimeout(retry);
      source?.close();
    };
  }, [clusterId, dispatch]);
}
