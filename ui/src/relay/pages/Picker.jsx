// The clusters of the signed-in user (GET /api/me). The app goes straight to the cluster when there is one.
import { Badge, Empty, PageTitle } from '../../components/ui.jsx';
import { clusterHref } from '../lib/routes.js';

export default function Picker({ me }) {
  return (
    <div className="mx-auto max-w-3xl px-6 py-8">
      <PageTitle title="Clusters" subtitle={`Signed in as ${me.user.email}${me.user.operator ? ' (operator)' : ''}`} />
      {me.clusters.length === 0 ? (
        <Empty title="No clusters yet">Ask a cluster’s owner for an invite link, or have the relay’s operator add you.</Empty>
      ) : (
        <ul className="flex flex-col gap-2">
          {me.clusters.map((c) => (
            <li key={c.id}>
              <a
                href={clusterHref(c.id)}
                data-testid="cluster-link"
                className="flex items-center justify-between gap-3 rounded-xl border border-slate-200 bg-white px-5 py-3 shadow-sm hover:border-indigo-300"
              >
                <span className="min-w-0">
                  <span className="block truncate text-sm font-semibold text-slate-900">{c.name || c.id}</span>
                  <span className="block truncate text-xs text-slate-500">{c.id}</span>
                </span>
                <span className="flex shrink-0 gap-1.5">
                  <Badge tone={c.online_nodes > 0 ? 'green' : 'gray'}>
                    {c.online_nodes} / {c.nodes} online
                  </Badge>
                  <Badge tone="blue">{c.role}</Badge>
                </span>
              </a>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
