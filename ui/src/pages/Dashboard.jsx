// Dashboard: this node and its cluster at a glance — nodes online, models available and loaded, requests in
// flight, tokens per second now (from the request records of the last 10 s), recent requests (never prompt
// text), engines and their state, relay status.
import { useNow, useQuorum } from '../store.jsx';
import { onlineCount } from '../lib/title.js';
import { tokensPerSecond } from '../lib/stats.js';
import { formatClock, formatDuration, formatRate } from '../lib/format.js';
import { Badge, Card, Empty, PageTitle, Waiting } from '../components/ui.jsx';

function Stat({ label, value, detail, testId }) {
  return (
    <div className="rounded-xl border border-slate-200 bg-white px-5 py-4 shadow-sm" data-testid={testId}>
      <p className="text-xs font-medium uppercase tracking-wide text-slate-500">{label}</p>
      <p className="mt-1 text-2xl font-semibold tabular-nums text-slate-900">{value}</p>
      {detail && <p className="mt-0.5 text-xs text-slate-500">{detail}</p>}
    </div>
  );
}

function RequestsTable({ records }) {
  if (!records.length)
    return (
      <Empty title="No requests yet">
        Requests this node answers appear here. Try one in the <a className="text-indigo-700 underline" href="#/playground">Playground</a>.
      </Empty>
    );
  return (
    <div className="overflow-x-auto">
      <table className="w-full text-left text-sm">
        <thead className="text-xs uppercase tracking-wide text-slate-500">
          <tr>
            <th className="py-2 pr-3 font-medium">Time</th>
            <th className="py-2 pr-3 font-medium">Model</th>
            <th className="py-2 pr-3 font-medium">Served by</th>
            <th className="py-2 pr-3 font-medium">Endpoint</th>
            <th className="py-2 pr-3 font-medium">Status</th>
            <th className="py-2 pr-3 text-right font-medium">Duration</th>
            <th className="py-2 pr-3 text-right font-medium">First token</th>
            <th className="py-2 text-right font-medium">Tokens in / out</th>
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-100">
          {records.map((r) => (
            <tr key={`${r.request_id}-${r.at}`} data-testid="request-row" className="text-slate-800">
              <td className="py-2 pr-3 tabular-nums text-slate-500">{formatClock(r.at)}</td>
              <td className="max-w-56 truncate py-2 pr-3 font-medium" title={r.model}>{r.model}</td>
              <td className="py-2 pr-3">{r.node_name}</td>
              <td className="py-2 pr-3 text-slate-600">{r.endpoint}</td>
              <td className="py-2 pr-3">
                <Badge tone={r.status < 400 ? 'green' : 'red'} title={r.error_type || undefined}>
                  {r.status}
                </Badge>
              </td>
              <td className="py-2 pr-3 text-right tabular-nums">{formatDuration(r.duration_ms)}</td>
              <td className="py-2 pr-3 text-right tabular-nums">{formatDuration(r.ttft_ms)}</td>
              <td className="py-2 text-right tabular-nums">
                {r.prompt_tokens} / {r.completion_tokens}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function EngineList({ engines }) {
  if (!engines.length)
    return (
      <Empty title="No engines">
        Put a <code>.gguf</code> file in the models folder, start Ollama or llama-server, or add an engine in{' '}
        <a className="text-indigo-700 underline" href="#/settings">Settings</a>.
      </Empty>
    );
  return (
    <ul className="divide-y divide-slate-100">
      {engines.map((e) => (
        <li key={e.name} className="flex items-start justify-between gap-3 py-2" data-testid="engine-row" data-engine-name={e.name}>
          <div className="min-w-0">
            <p className="text-sm font-medium text-slate-900">
              {e.name} <span className="font-normal text-slate-500">· {e.type}</span>
            </p>
            <p className="truncate text-xs text-slate-500" title={e.location}>{e.location}</p>
            {!e.up && e.last_error && <p className="mt-0.5 text-xs text-rose-700">{e.last_error}</p>}
          </div>
          <div className="flex shrink-0 items-center gap-1.5">
            {e.autodetected && <Badge tone="blue">detected</Badge>}
            <Badge tone={e.up ? 'green' : 'red'}>{e.up ? 'up' : 'down'}</Badge>
            <span className="text-xs text-slate-500">
              {e.models.length} {e.models.length === 1 ? 'model' : 'models'}
            </span>
          </div>
        </li>
      ))}
    </ul>
  );
}

function RelayCard({ relay }) {
  if (!relay)
    return (
      <Card title="Relay">
        <p className="text-sm text-slate-600">
          Not joined to a relay. A relay links the nodes of a cluster across networks; join one in{' '}
          <a className="text-indigo-700 underline" href="#/settings">Settings</a>.
        </p>
      </Card>
    );
  const tone = relay.state === 'connected' ? 'green' : relay.state === 'connecting' ? 'amber' : 'red';
  return (
    <Card title="Relay" actions={<Badge tone={tone}>{relay.state}</Badge>}>
      <p className="truncate text-sm text-slate-800" title={relay.url}>{relay.url}</p>
      {relay.last_error && <p className="mt-1 text-xs text-rose-700">{relay.last_error}</p>}
    </Card>
  );
}

export default function Dashboard() {
  const { state } = useQuorum();
  const now = useNow(1000);
  const s = state.snapshot;
  if (!s) return <Waiting />;
  const recent = s.requests?.recent ?? [];
  const loaded = s.models.filter((m) => m.loaded).length;
  return (
    <div className="space-y-5">
      <PageTitle title="Dashboard" subtitle={`${s.node.name} · version ${s.node.version}`} />
      <div className="grid grid-cols-2 gap-4 lg:grid-cols-4">
        <Stat
          label="Nodes online"
          value={`${onlineCount(s)} / ${s.nodes.length}`}
          detail={s.cluster ? 'in this cluster' : 'standalone — not in a cluster'}
          testId="stat-nodes"
        />
        <Stat label="Models" value={s.models.length} detail={`${loaded} loaded`} testId="stat-models" />
        <Stat label="Requests in flight" value={s.requests?.in_flight ?? 0} detail="on this node" testId="stat-in-flight" />
        <Stat
          label="Tokens per second"
          value={formatRate(tokensPerSecond(recent, now))}
          detail="this node, last 10 s"
          testId="stat-tps"
        />
      </div>
      {!s.cluster && (
        <div className="rounded-xl border border-indigo-100 bg-indigo-50 px-5 py-3 text-sm text-indigo-900">
          This node runs on its own. To share models with your other machines, create a cluster or join one with a
          token in <a className="font-medium underline" href="#/settings">Settings</a>.
        </div>
      )}
      <Card title="Recent requests">
        <RequestsTable records={recent} />
      </Card>
      <div className="grid gap-5 lg:grid-cols-2">
        <Card title="Engines on this node">
          <EngineList engines={s.engines} />
        </Card>
        <RelayCard relay={s.relay} />
      </div>
    </div>
  );
}
