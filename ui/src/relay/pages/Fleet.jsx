// Fleet: one card per node of the cluster — name, online (since when) or offline since when, how it reaches the
// relay, address, engines, models (loaded or not), load, version. Cards change as `node` events arrive.
import { Badge, Empty, PageTitle } from '../../components/ui.jsx';
import { formatAgo, formatDateTime } from '../../lib/format.js';
import { useNow } from '../../lib/useNow.js';

const PATH_LABEL = { direct: 'direct', relay: 'relay link' };

function Row({ label, children }) {
  return (
    <div className="flex gap-3 py-1 text-sm">
      <dt className="w-20 shrink-0 text-slate-500">{label}</dt>
      <dd className="min-w-0 flex-1 text-slate-800">{children}</dd>
    </div>
  );
}

// "online since …" / "offline since …", with how long ago.
export function nodeStateText(node, nowMs) {
  const when = node.since ? ` since ${formatDateTime(node.since)} (${formatAgo(nowMs - node.since * 1000)})` : '';
  if (node.revoked) return `revoked${when}`;
  return `${node.online ? 'online' : 'offline'}${when}`;
}

export function NodeCard({ node, now }) {
  const running = node.load?.running ?? 0;
  const queued = node.load?.queued ?? 0;
  const engines = node.engines ?? [];
  const models = node.models ?? [];
  return (
    <article
      data-testid="node-card"
      data-node-id={node.id}
      data-online={node.online ? 'true' : 'false'}
      aria-label={`Node ${node.name || node.id}`}
      className={`rounded-xl border bg-white p-5 shadow-sm ${node.online ? 'border-slate-200' : 'border-slate-200 opacity-80'}`}
    >
      <header className="mb-3 flex items-start justify-between gap-2">
        <div className="min-w-0">
          <h2 className="truncate text-base font-semibold text-slate-900">{node.name || node.id}</h2>
          <p className="truncate text-xs text-slate-500" title={node.id}>{node.id}</p>
        </div>
        <div className="flex shrink-0 gap-1.5">
          {node.revoked && <Badge tone="red">revoked</Badge>}
          <Badge tone={node.online ? 'green' : 'gray'} data-testid="node-state">
            {node.online ? 'online' : 'offline'}
          </Badge>
        </div>
      </header>
      <p className="mb-2 text-xs text-slate-600" data-testid="node-since">{nodeStateText(node, now)}</p>
      <dl>
        <Row label="Path">{PATH_LABEL[node.path] ?? node.path ?? '—'}</Row>
        <Row label="Address">{node.address || '—'}</Row>
        <Row label="Version">{node.version || '—'}</Row>
        <Row label="Engines">
          {engines.length ? (
            <ul className="flex flex-wrap gap-1">
              {engines.map((e) => (
                <li key={e.name}>
                  <Badge tone={e.healthy === false ? 'red' : 'gray'} title={e.healthy === false ? 'not healthy' : 'healthy'}>
                    {e.name}
                    {e.kind && <span className="text-slate-500">({e.kind})</span>}
                    {e.healthy === false && <span className="sr-only"> (not healthy)</span>}
                  </Badge>
                </li>
              ))}
            </ul>
          ) : (
            'none'
          )}
        </Row>
        <Row label="Models">
          {models.length ? (
            <ul className="flex flex-wrap gap-1">
              {models.map((m) => (
                <li key={m.id}>
                  <Badge tone={m.loaded ? 'green' : 'gray'} title={m.loaded ? 'loaded' : 'not loaded'}>
                    {m.id}
                    {m.loaded && <span className="sr-only"> (loaded)</span>}
                  </Badge>
                </li>
              ))}
            </ul>
          ) : (
            'none'
          )}
        </Row>
        <Row label="Load">
          <span className="tabular-nums" data-testid="node-load">
            {running} running · {queued} queued
          </span>
        </Row>
      </dl>
    </article>
  );
}

export default function Fleet({ snapshot }) {
  const now = useNow(5000);
  const nodes = [...(snapshot.nodes ?? [])].sort(
    (a, b) => Number(b.online) - Number(a.online) || (a.name || a.id).localeCompare(b.name || b.id),
  );
  const online = nodes.filter((n) => n.online).length;
  return (
    <div>
      <PageTitle title="Fleet" subtitle={`${online} of ${nodes.length} ${nodes.length === 1 ? 'node' : 'nodes'} online`} />
      {nodes.length === 0 ? (
        <Empty title="No nodes yet">
          Nodes appear here once they join the cluster through this relay (<code>quorum relay join</code>).
        </Empty>
      ) : (
        <div className="grid gap-4 md:grid-cols-2 xl:grid-cols-3">
          {nodes.map((n) => (
            <NodeCard key={n.id} node={n} now={now} />
          ))}
        </div>
      )}
    </div>
  );
}
