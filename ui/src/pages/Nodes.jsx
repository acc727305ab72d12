// Nodes: one card per node of the cluster (this node first) — name, address or path, state, last seen,
// engines, models, load, version. Cards change as `nodes` events arrive; "last seen" ticks every second,
// counted from when the nodes list arrived.
import { useNow, useQuorum } from '../store.jsx';
import { formatAgo } from '../lib/format.js';
import { Badge, Empty, ModelBadges, PageTitle, Waiting } from '../components/ui.jsx';

const STATE_TONE = { online: 'green', pending: 'amber', unreachable: 'red' };
const PATH_LABEL = { self: 'this node', lan: 'LAN', relay: 'via relay', none: 'no path' };

function Row({ label, children }) {
  return (
    <div className="flex gap-3 py-1 text-sm">
      <dt className="w-24 shrink-0 text-slate-500">{label}</dt>
      <dd className="min-w-0 flex-1 text-slate-800">{children}</dd>
    </div>
  );
}

export function NodeCard({ node, lastSeenMs }) {
  const load = node.capacity > 0 ? Math.min(1, node.in_flight / node.capacity) : 0;
  return (
    <article
      data-testid="node-card"
      data-node-id={node.id}
      aria-label={`Node ${node.name}`}
      className="rounded-xl border border-slate-200 bg-white p-5 shadow-sm"
    >
      <header className="mb-3 flex items-start justify-between gap-2">
        <div className="min-w-0">
          <h2 className="truncate text-base font-semibold text-slate-900">{node.name}</h2>
          <p className="truncate text-xs text-slate-500" title={node.id}>{node.id}</p>
        </div>
        <div className="flex shrink-0 gap-1.5">
          {node.self && <Badge tone="blue">this node</Badge>}
          <Badge tone={STATE_TONE[node.state] ?? 'gray'} data-testid="node-state">
            {node.state}
          </Badge>
        </div>
      </header>
      <dl>
        <Row label="Address">
          {node.address ? `${node.address}:${node.port}` : '—'}{' '}
          <span className="text-slate-500">({PATH_LABEL[node.path] ?? node.path})</span>
        </Row>
        <Row label="Last seen">{node.self ? 'now' : formatAgo(lastSeenMs)}</Row>
        <Row label="Version">{node.version || '—'}</Row>
        <Row label="Engines">{node.engines.length ? node.engines.join(', ') : 'none'}</Row>
        <Row label="Models">
          <ModelBadges models={node.models} />
        </Row>
        <Row label="Load">
          <div className="flex items-center gap-2">
            <div className="h-1.5 w-28 overflow-hidden rounded-full bg-slate-100" aria-hidden="true">
              <div className="h-full rounded-full bg-indigo-500" style={{ width: `${load * 100}%` }} />
            </div>
            <span className="tabular-nums" data-testid="node-load">
              {node.in_flight} / {node.capacity}
            </span>
          </div>
        </Row>
      </dl>
      {node.error && <p className="mt-2 rounded-md bg-rose-50 px-2 py-1 text-xs text-rose-800">{node.error}</p>}
    </article>
  );
}

export default function Nodes() {
  const { state } = useQuorum();
  const now = useNow(1000);
  const s = state.snapshot;
  if (!s) return <Waiting />;
  const since = Math.max(0, now - state.nodesAt);
  return (
    <div>
      <PageTitle
        title="Nodes"
        subtitle={s.cluster ? `Cluster ${s.cluster.id} · fingerprint ${s.cluster.fingerprint}` : 'This node is not in a cluster'}
      />
      <div className="grid gap-4 md:grid-cols-2 xl:grid-cols-3">
        {s.nodes.map((n) => (
          <NodeCard key={n.id} node={n} lastSeenMs={n.last_seen_ms_ago + since} />
        ))}
      </div>
      {s.nodes.length <= 1 && (
        <div className="mt-5">
          <Empty title="No other nodes yet">
            {s.cluster
              ? 'Other nodes appear here when they join: on another machine, open Settings → Join a cluster and paste this cluster’s join token.'
              : 'Create a cluster in Settings, then join it from your other machines with its join token.'}
          </Empty>
        </div>
      )}
    </div>
  );
}
