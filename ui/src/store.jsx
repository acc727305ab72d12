// The app's state store: one EventSource('/api/ui/events') per tab feeding the reducer of lib/state.js,
// shared with the pages through a React context.
//
// The EventSource reconnects by itself after a dropped connection; when the browser gives up (readyState
// CLOSED, e.g. the node answered with an error while re-executing) a new one is opened after RECONNECT_MS.
// That is the only timer here: data never comes from polling, only from the stream.
import { createContext, useContext, useEffect, useReducer } from 'react';
import { EVENT_NAMES, initialState, reduce } from './lib/state.js';

export const RECONNECT_MS = 2000;
const EVENTS_URL = '/api/ui/events';
const CLOSED = 2; // EventSource.CLOSED

const QuorumContext = createContext(null);

export function useEventStream(dispatch, url = EVENTS_URL) {
  useEffect(() => {
    let source = null;
    let retry = null;
    let stopped = false;
    const open = () => {
      source = new EventSource(url);
      source.onopen = () => dispatch({ type: 'connection', connection: 'open' });
      source.onerror = () => {
        dispatch({ type: 'connection', connection: 'reconnecting' });
        if (source.readyState === CLOSED && !stopped) {
          source.close();
          retry = setTimeout(open, RECONNECT_MS);
        }
      };
      for (const name of EVENT_NAMES) {
        source.addEventListener(name, (e) => {
          let data;
          try {
            data = JSON.parse(e.data);
          } catch {
            return;
          }
          dispatch({ type: 'event', event: name, data, at: Date.now() });
        });
      }
    };
    open();
    return () => {
      stopped = true;
      clearTimeout(retry);
      source?.close();
    };
  }, [dispatch, url]);
}

export function QuorumProvider({ children, url }) {
  const [state, dispatch] = useReducer(reduce, initialState);
  useEventStream(dispatch, url);
  return <QuorumContext.Provider value={{ state, dispatch }}>{children}</QuorumContext.Provider>;
}

export function useQuorum() {
  const ctx = useContext(QuorumContext);
  if (!ctx) throw new Error('useQuorum outside QuorumProvider');
  return ctx;
}

// The on-screen clock hook, shared with the relay dashboard.
export { useNow } from './lib/useNow.js';
