// Hash routing: /#/, /#/playground, /#/models, /#/nodes, /#/settings. Anything else shows the dashboard.
// useHash() is shared with the relay dashboard (src/relay/lib/routes.js).
import { useEffect, useState } from 'react';

export const ROUTES = [
  { path: '/', label: 'Dashboard' },
  { path: '/playground', label: 'Playground' },
  { path: '/models', label: 'Models' },
  { path: '/nodes', label: 'Nodes' },
  { path: '/settings', label: 'Settings' },
];

export function routeFromHash(hash) {
  const path = (hash || '').replace(/^#/, '').split('?')[0] || '/';
  return ROUTES.some((r) => r.path === path) ? path : '/';
}

// The page's location.hash, kept current (the relay dashboard parses it with its own routes).
export function useHash() {
  const [hash, setHash] = useState(() => window.location.hash);
  useEffect(() => {
    const onChange = () => setHash(window.location.hash);
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return hash;
}

export function useHashRoute() {
  return routeFromHash(useHash());
}
