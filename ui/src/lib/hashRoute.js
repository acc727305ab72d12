// Hash routing: /#/, /#/playground, /#/models, /#/nodes, /#/settings. Anything else shows the dashboard.
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

export function useHashRoute() {
  const [route, setRoute] = useState(() => routeFromHash(window.location.hash));
  useEffect(() => {
    const onChange = () => setRoute(routeFromHash(window.location.hash));
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return route;
}
