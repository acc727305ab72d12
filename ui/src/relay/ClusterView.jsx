// One cluster: sidebar with the tabs, header (cluster, role, who is signed in, Sign out), the "reconnecting"
// banner, and the tab's page. Owns the cluster's one event stream (useClusterStream) and its reducer; fetches
// usage and the audit log after each snapshot.
import { useEffect, useReducer, useState } from 'react';
import { Badge, Button, PageTitle } from '../components/ui.jsx';
import { TABS, clusterHref } from './lib/routes.js';
import { initialClusterState, reduceCluster } from './lib/clusterState.js';
import { effectiveRole } from './lib/roles.js';
import { lastDays } from './lib/usage.js';
import { get } from './lib/api.js';
import { useClusterStream } from './useClusterStream.js';
import Fleet from './pages/Fleet.jsx';
import Models from './pages/Models.jsx';
import Keys from './pages/Keys.jsx';
import Usage from './pages/Usage.jsx';
import Audit from './pages/Audit.jsx';
import Members from './pages/Members.jsx';

export const USAGE_DAYS = 30;

function ConnectionBanner({ connection }) {
  if (connection === 'open') return null;
  return (
    <div
      role="status"
      data-testid="connection-banner"
      data-state={connection}
      className="border-b border-amber-200 bg-amber-50 px-6 py-2 text-sm font-medium text-amber-900"
    >
      {connection === 'connecting' ? 'Connecting to the relay…' : 'Disconnected — reconnecting…'}
    </div>
  );
}

export default function ClusterView({ clusterId, tab, me, onSignOut, onLeft }) {
  const [state, dispatch] = useReducer(reduceCluster, initialClusterState);
  const [usageError, setUsageError] = useState('');
  useClusterStream(clusterId, dispatch);
  const { snapshot, epoch, connection, usageReload } = state;

  // Usage: after each snapshot, and again when a delta came while a fetch was under way (clusterState.js).
  useEffect(() => {
    if (!epoch) return undefined;
    let live = true;
    const base = `/api/clusters/${encodeURIComponent(clusterId)}`;
    const days = lastDays(USAGE_DAYS);
    dispatch({ type: 'usage_loading' });
    get(`${base}/usage?from=${days[0]}&to=${days.at(-1)}`)
      .then((a) => live && (setUsageError(''), dispatch({ type: 'usage_loaded', rows: a?.data ?? [] })))
      .catch((e) => live && setUsageError(e.message));
    return () => {
      live = false;
    };
  }, [clusterId, epoch, usageReload]);

  useEffect(() => {
    if (!epoch) return undefined;
    let live = true;
    const base = `/api/clusters/${encodeURIComponent(clusterId)}`;
    get(`${base}/audit?limit=100`)
      .then((a) => live && dispatch({ type: 'audit_loaded', entries: a?.data ?? [] }))
      .catch(() => {});
    return () => {
      live = false;
    };
  }, [clusterId, epoch]);

  const name = snapshot?.cluster?.name || me.clusters.find((c) => c.id === clusterId)?.name || clusterId;
  useEffect(() => {
    document.title = `${name} — Quorum relay`;
  }, [name]);
  const role = effectiveRole(me.user, snapshot);
  const props = { clusterId, snapshot, role, dispatch, me: me.user };
  let page;
  if (!snapshot) page = <p className="text-sm text-slate-500">Waiting for the relay…</p>;
  else if (tab === 'models') page = <Models {...props} />;
  else if (tab === 'keys') page = <Keys {...props} />;
  else if (tab === 'usage') page = <Usage {...props} usage={state.usage} error={usageError} days={USAGE_DAYS} />;
  else if (tab === 'audit') page = <Audit audit={state.audit} />;
  else if (tab === 'members') page = <Members {...props} onLeft={onLeft} />;
  else page = <Fleet {...props} />;

  return (
    <div className="flex h-full">
      <nav aria-label="Pages" className="flex w-52 shrink-0 flex-col border-r border-slate-200 bg-white">
        <div className="flex items-center gap-2 px-5 py-4">
          <span className="grid h-7 w-7 place-items-center rounded-lg bg-indigo-600 text-sm font-bold text-white">Q</span>
          <span className="text-base font-semibold text-slate-900">Quorum relay</span>
        </div>
        <ul className="flex flex-col gap-0.5 px-3">
          {TABS.map((t) => (
            <li key={t.id}>
              <a
                href={clusterHref(clusterId, t.id)}
                aria-current={t.id === tab ? 'page' : undefined}
                className={`flex items-center rounded-lg px-3 py-2 text-sm font-medium ${
                  t.id === tab ? 'bg-indigo-50 text-indigo-700' : 'text-slate-700 hover:bg-slate-100'
                }`}
              >
                {t.label}
              </a>
            </li>
          ))}
        </ul>
        {me.clusters.length > 1 && (
          <a href="#/" className="mx-6 mt-4 text-xs text-indigo-700 hover:underline">
            All clusters
          </a>
        )}
      </nav>
      <div className="flex min-w-0 flex-1 flex-col">
        <header className="flex h-14 items-center justify-between gap-4 border-b border-slate-200 bg-white px-6">
          <div className="flex min-w-0 items-center gap-3">
            <span
              className={`h-2.5 w-2.5 shrink-0 rounded-full ${connection === 'open' ? 'bg-emerald-500' : 'bg-amber-500'}`}
              aria-hidden="true"
            />
            <span className="truncate text-sm font-semibold text-slate-900" data-testid="header-cluster-name">{name}</span>
            <Badge tone="blue" data-testid="header-role">{role}</Badge>
          </div>
          <div className="flex items-center gap-3 text-sm">
            <span className="truncate text-slate-600" data-testid="header-user">{me.user.email}</span>
            <Button onClick={onSignOut}>Sign out</Button>
          </div>
        </header>
        <ConnectionBanner connection={connection} />
        <main className="min-h-0 flex-1 overflow-y-auto px-6 py-5">
          <div className="mx-auto max-w-6xl">{page}</div>
        </main>
      </div>
    </div>
  );
}

export function NoCluster({ clusterId }) {
  return (
    <div className="mx-auto max-w-3xl px-6 py-8">
      <PageTitle title="Cluster not found" subtitle={`You are not a member of ${clusterId}, or it does not exist.`} />
      <a href="#/" className="text-sm text-indigo-700 hover:underline">Your clusters</a>
    </div>
  );
}
