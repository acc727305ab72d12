// The shell: sidebar with the five pages, header with this node and the cluster, the connection banner,
// and the page of the current hash route. Keeps document.title in line with the cluster (lib/title.js).
import { useEffect } from 'react';
import { useQuorum } from './store.jsx';
import { ROUTES, useHashRoute } from './lib/hashRoute.js';
import { onlineCount, titleFor } from './lib/title.js';
import { shortId } from './lib/format.js';
import { Badge } from './components/ui.jsx';
import Dashboard from './pages/Dashboard.jsx';
import Playground from './pages/Playground.jsx';
import Models from './pages/Models.jsx';
import Nodes from './pages/Nodes.jsx';
import Settings from './pages/Settings.jsx';
import UpdateBanner from './components/UpdateBanner.jsx';

const PAGES = { '/': Dashboard, '/playground': Playground, '/models': Models, '/nodes': Nodes, '/settings': Settings };

const ICONS = {
  '/': 'M3 12l9-8 9 8M5 10v10h5v-6h4v6h5V10',
  '/playground': 'M4 5h16v11H8l-4 4V5z',
  '/models': 'M4 7l8-4 8 4-8 4-8-4zm0 5l8 4 8-4M4 17l8 4 8-4',
  '/nodes': 'M5 4h14v6H5zM5 14h14v6H5zM8 7h.01M8 17h.01',
  '/settings': 'M12 15a3 3 0 100-6 3 3 0 000 6zm7.4-3a7.4 7.4 0 00-.1-1.2l2-1.6-2-3.4-2.4 1a7 7 0 00-2-1.2L14.5 3h-4l-.4 2.6a7 7 0 00-2 1.2l-2.4-1-2 3.4 2 1.6a7.4 7.4 0 000 2.4l-2 1.6 2 3.4 2.4-1a7 7 0 002 1.2l.4 2.6h4l.4-2.6a7 7 0 002-1.2l2.4 1 2-3.4-2-1.6c.1-.4.1-.8.1-1.2z',
};

function Icon({ d }) {
  return (
    <svg viewBox="0 0 24 24" className="h-4 w-4" fill="none" stroke="currentColor" strokeWidth="1.8" aria-hidden="true">
      <path d={d} strokeLinecap="round" strokeLinejoin="round" />
    </svg>
  );
}

function Sidebar({ route }) {
  return (
    <nav aria-label="Pages" className="flex w-52 shrink-0 flex-col border-r border-slate-200 bg-white">
      <div className="flex items-center gap-2 px-5 py-4">
        <span className="grid h-7 w-7 place-items-center rounded-lg bg-indigo-600 text-sm font-bold text-white">Q</span>
        <span className="text-base font-semibold text-slate-900">Quorum</span>
      </div>
      <ul className="flex flex-col gap-0.5 px-3">
        {ROUTES.map((r) => {
          const current = r.path === route;
          return (
            <li key={r.path}>
              <a
                href={`#${r.path}`}
                aria-current={current ? 'page' : undefined}
                className={`flex items-center gap-2.5 rounded-lg px-3 py-2 text-sm font-medium ${
                  current ? 'bg-indigo-50 text-indigo-700' : 'text-slate-700 hover:bg-slate-100'
                }`}
              >
                <Icon d={ICONS[r.path]} />
                {r.label}
              </a>
            </li>
          );
        })}
      </ul>
    </nav>
  );
}

function Header({ snapshot, connection }) {
  if (!snapshot) {
    return (
      <header className="flex h-14 items-center border-b border-slate-200 bg-white px-6 text-sm text-slate-500">
        Local node
      </header>
    );
  }
  const online = onlineCount(snapshot);
  const relay = snapshot.relay;
  return (
    <header className="flex h-14 items-center justify-between gap-4 border-b border-slate-200 bg-white px-6">
      <div className="flex min-w-0 items-center gap-3">
        <span
          className={`h-2.5 w-2.5 shrink-0 rounded-full ${connection === 'open' ? 'bg-emerald-500' : 'bg-amber-500'}`}
          aria-hidden="true"
        />
        <span className="truncate text-sm font-semibold text-slate-900" data-testid="header-node-name">
          {snapshot.node?.name}
        </span>
        <span className="truncate text-xs text-slate-500">{snapshot.node?.listen}</span>
      </div>
      <div className="flex items-center gap-2 text-sm" data-testid="header-cluster">
        {snapshot.cluster ? (
          <Badge tone="blue" title={`Cluster ${snapshot.cluster.id}`}>
            Cluster {shortId(snapshot.cluster.id)}
          </Badge>
        ) : (
          <Badge>Standalone</Badge>
        )}
        <Badge tone={online > 0 ? 'green' : 'gray'}>
          {online} {online === 1 ? 'node' : 'nodes'} online
        </Badge>
        {relay && (
          <Badge tone={relay.state === 'connected' ? 'green' : relay.state === 'connecting' ? 'amber' : 'red'}>
            Relay {relay.state}
          </Badge>
        )}
      </div>
    </header>
  );
}

function ConnectionBanner({ connection, restarting }) {
  if (!restarting && connection === 'open') return null;
  const text = restarting
    ? 'Restarting… the node is applying a cluster change and will be back in a moment.'
    : connection === 'connecting'
      ? 'Connecting to the node…'
      : 'Disconnected — reconnecting…';
  return (
    <div
      role="status"
      data-testid="connection-banner"
      data-state={restarting ? 'restarting' : connection}
      className="border-b border-amber-200 bg-amber-50 px-6 py-2 text-sm font-medium text-amber-900"
    >
      {text}
    </div>
  );
}

export default function App() {
  const { state } = useQuorum();
  const route = useHashRoute();
  const { snapshot, connection, restarting } = state;
  useEffect(() => {
    document.title = titleFor(snapshot);
  }, [snapshot]);
  const Page = PAGES[route];
  return (
    <div className="flex h-full">
      <Sidebar route={route} />
      <div className="flex min-w-0 flex-1 flex-col">
        <Header snapshot={snapshot} connection={connection} />
        <ConnectionBanner connection={connection} restarting={restarting} />
        <UpdateBanner update={snapshot?.update} />
        <main className="min-h-0 flex-1 overflow-y-auto px-6 py-5">
          <div className="mx-auto max-w-6xl">
            <Page />
          </div>
        </main>
      </div>
    </div>
  );
}
