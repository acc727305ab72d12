// Settings: node name, engines (list, add, remove), models folder, cluster (create, join token, join, leave),
// relay (join, leave, status). Every write goes through lib/useAction.js (token header, error message shown).
// Cluster changes answer restarting:true and the node re-execs: the shell then shows "Restarting…" until the
// event stream comes back with a fresh snapshot.
import { useState } from 'react';
import { useQuorum } from '../store.jsx';
import { useAction } from '../lib/useAction.js';
import { Badge, Button, Card, ErrorText, Field, PageTitle, Waiting, inputClass } from '../components/ui.jsx';

// One text setting with its own Save button: posts { [field]: value } to `path` when the value changed.
function OneValueForm({ current, path, field, label, id, hint, saveLabel, mono = false }) {
  const [value, setValue] = useState(current);
  const { run, busy, error } = useAction();
  return (
    <form
      className="flex flex-col gap-3"
      onSubmit={(e) => {
        e.preventDefault();
        run(path, { [field]: value.trim() });
      }}
    >
      <Field label={label} id={id} hint={hint}>
        <div className="flex gap-2">
          <input id={id} value={value} onChange={(e) => setValue(e.target.value)} className={mono ? `${inputClass} font-mono` : inputClass} />
          <Button type="submit" variant="primary" disabled={busy || !value.trim() || value.trim() === current}>
            {saveLabel}
          </Button>
        </div>
      </Field>
      <ErrorText>{error}</ErrorText>
    </form>
  );
}

function NameForm({ name }) {
  return (
    <OneValueForm current={name} path="/api/ui/node" field="name" label="Node name" id="set-node-name"
      hint="How this node appears to the other nodes of the cluster." saveLabel="Save name" />
  );
}

function EngineRow({ engine }) {
  const { run, busy, error } = useAction();
  return (
    <li className="py-2.5" data-testid="settings-engine-row" data-engine-name={engine.name}>
      <div className="flex items-start justify-between gap-3">
        <div className="min-w-0">
          <p className="text-sm font-medium text-slate-900">
            {engine.name} <span className="font-normal text-slate-500">· {engine.type}</span>
          </p>
          <p className="truncate text-xs text-slate-500" title={engine.location}>{engine.location}</p>
          {!engine.up && engine.last_error && <p className="mt-0.5 text-xs text-rose-700">{engine.last_error}</p>}
        </div>
        <div className="flex shrink-0 items-center gap-1.5">
          {engine.autodetected && <Badge tone="blue">detected</Badge>}
          <Badge tone={engine.up ? 'green' : 'red'}>{engine.up ? 'up' : 'down'}</Badge>
          {engine.removable && (
            <Button
              variant="danger"
              disabled={busy}
              aria-label={`Remove engine ${engine.name}`}
              onClick={() => run('/api/ui/engines/remove', { name: engine.name })}
            >
              Remove
            </Button>
          )}
        </div>
      </div>
      <ErrorText>{error}</ErrorText>
    </li>
  );
}

function AddEngineForm() {
  const [name, setName] = useState('');
  const [url, setUrl] = useState('');
  const [type, setType] = useState('openai');
  const { run, busy, error } = useAction();
  return (
    <form
      className="mt-3 flex flex-col gap-3 border-t border-slate-100 pt-4"
      onSubmit={async (e) => {
        e.preventDefault();
        if (await run('/api/ui/engines/add', { name: name.trim(), url: url.trim(), type })) {
          setName('');
          setUrl('');
        }
      }}
    >
      <p className="text-sm font-medium text-slate-800">Add an engine</p>
      <div className="grid grid-cols-[1fr_2fr_auto] items-end gap-2">
        <Field label="Engine name" id="set-engine-name">
          <input id="set-engine-name" value={name} onChange={(e) => setName(e.target.value)} placeholder="gpu" className={inputClass} />
        </Field>
        <Field label="Engine URL" id="set-engine-url">
          <input
            id="set-engine-url"
            value={url}
            onChange={(e) => setUrl(e.target.value)}
            placeholder="http://192.168.1.20:8000"
            className={inputClass}
          />
        </Field>
        <Field label="Engine type" id="set-engine-type">
          <select id="set-engine-type" value={type} onChange={(e) => setType(e.target.value)} className={inputClass}>
            <option value="openai">OpenAI-compatible</option>
            <option value="ollama">Ollama</option>
          </select>
        </Field>
      </div>
      <div>
        <Button type="submit" variant="primary" disabled={busy || !name.trim() || !url.trim()}>
          Add engine
        </Button>
      </div>
      <ErrorText>{error}</ErrorText>
    </form>
  );
}

function ModelsDirForm({ dir }) {
  return (
    <OneValueForm current={dir} path="/api/ui/settings" field="models_dir" label="Models folder" id="set-models-dir"
      hint="Every .gguf file in this folder is served by the built-in engine." saveLabel="Save folder" mono />
  );
}

function JoinToken() {
  const [token, setToken] = useState('');
  const [copied, setCopied] = useState(false);
  const { run, busy, error } = useAction();
  async function copy() {
    try {
      await navigator.clipboard.writeText(token);
      setCopied(true);
    } catch {
      setCopied(false);
    }
  }
  return (
    <div className="flex flex-col gap-2">
      {!token ? (
        <div>
          <Button
            disabled={busy}
            onClick={async () => {
              const answer = await run('/api/ui/cluster/token', {});
              if (answer?.token) setToken(answer.token);
            }}
          >
            Show join token
          </Button>
          <p className="mt-1 text-xs text-slate-500">
            The token lets another machine join this cluster. It carries the cluster’s secret: share it only with your own
            machines.
          </p>
        </div>
      ) : (
        <div className="flex items-start gap-2">
          <code
            data-testid="join-token"
            className="min-w-0 flex-1 break-all rounded-lg bg-slate-100 px-3 py-2 font-mono text-xs text-slate-800 select-all"
          >
            {token}
          </code>
          <Button onClick={copy}>{copied ? 'Copied' : 'Copy'}</Button>
          <Button onClick={() => { setToken(''); setCopied(false); }}>Hide</Button>
        </div>
      )}
      <ErrorText>{error}</ErrorText>
    </div>
  );
}

function ClusterCard({ cluster, onRestart, restarting }) {
  const [joinToken, setJoinToken] = useState('');
  const [confirmLeave, setConfirmLeave] = useState(false);
  const restartOn = (answer) => answer?.restarting && onRestart('cluster change');
  const action = useAction(restartOn);
  const { run, error } = action;
  const busy = action.busy || restarting; // a cluster change is under way until the node is back
  if (!cluster) {
    return (
      <Card title="Cluster" actions={<Badge>not in a cluster</Badge>}>
        <div className="flex flex-col gap-4">
          <div>
            <p className="mb-2 text-sm text-slate-600">
              Make this node the first member of a new cluster, then join it from your other machines.
            </p>
            <Button variant="primary" disabled={busy} onClick={() => run('/api/ui/cluster/init', {})}>
              Create a cluster
            </Button>
          </div>
          <form
            className="flex flex-col gap-2 border-t border-slate-100 pt-4"
            onSubmit={(e) => {
              e.preventDefault();
              run('/api/ui/cluster/join', { token: joinToken.trim() });
            }}
          >
            <Field label="Join token" id="set-join-token" hint="From Settings → Show join token on a node of the cluster.">
              <div className="flex gap-2">
                <input id="set-join-token" value={joinToken} onChange={(e) => setJoinToken(e.target.value)} className={`${inputClass} font-mono`} />
                <Button type="submit" variant="primary" disabled={busy || !joinToken.trim()}>
                  Join cluster
                </Button>
              </div>
            </Field>
          </form>
          <ErrorText>{error}</ErrorText>
        </div>
      </Card>
    );
  }
  return (
    <Card title="Cluster" actions={<Badge tone="green">member</Badge>}>
      <dl className="mb-4 grid grid-cols-[7rem_1fr] gap-y-1 text-sm">
        <dt className="text-slate-500">Cluster id</dt>
        <dd className="break-all font-mono text-slate-800">{cluster.id}</dd>
        <dt className="text-slate-500">Fingerprint</dt>
        <dd className="break-all font-mono text-slate-800">{cluster.fingerprint}</dd>
      </dl>
      <JoinToken />
      <div className="mt-4 flex items-center gap-2 border-t border-slate-100 pt-4">
        {!confirmLeave ? (
          <Button variant="danger" onClick={() => setConfirmLeave(true)}>
            Leave cluster
          </Button>
        ) : (
          <>
            <span className="text-sm text-slate-700">This node will leave the cluster and restart.</span>
            <Button variant="danger" disabled={busy} onClick={() => run('/api/ui/cluster/leave', {})}>
              Confirm leave
            </Button>
            <Button onClick={() => setConfirmLeave(false)}>Cancel</Button>
          </>
        )}
      </div>
      <div className="mt-2">
        <ErrorText>{error}</ErrorText>
      </div>
    </Card>
  );
}

function RelayCard({ relay }) {
  const [url, setUrl] = useState('');
  const [token, setToken] = useState('');
  const { run, busy, error } = useAction();
  if (relay) {
    const tone = relay.state === 'connected' ? 'green' : relay.state === 'connecting' ? 'amber' : 'red';
    return (
      <Card title="Relay" actions={<Badge tone={tone} data-testid="relay-state">{relay.state}</Badge>}>
        <dl className="grid grid-cols-[7rem_1fr] gap-y-1 text-sm">
          <dt className="text-slate-500">URL</dt>
          <dd className="break-all text-slate-800">{relay.url}</dd>
          <dt className="text-slate-500">Cluster</dt>
          <dd className="break-all font-mono text-slate-800">{relay.cluster_id || '—'}</dd>
          <dt className="text-slate-500">Node</dt>
          <dd className="break-all font-mono text-slate-800">{relay.node_id || '—'}</dd>
        </dl>
        {relay.last_error && <p className="mt-2 text-sm text-rose-700">{relay.last_error}</p>}
        <div className="mt-4">
          <Button variant="danger" disabled={busy} onClick={() => run('/api/ui/relay/leave', {})}>
            Leave relay
          </Button>
        </div>
        <div className="mt-2">
          <ErrorText>{error}</ErrorText>
        </div>
      </Card>
    );
  }
  return (
    <Card title="Relay" actions={<Badge>not joined</Badge>}>
      <form
        className="flex flex-col gap-3"
        onSubmit={(e) => {
          e.preventDefault();
          const body = { url: url.trim() };
          if (token.trim()) body.token = token.trim();
          run('/api/ui/relay/join', body);
        }}
      >
        <p className="text-sm text-slate-600">A relay links the nodes of a cluster across networks.</p>
        <Field label="Relay URL" id="set-relay-url">
          <input id="set-relay-url" value={url} onChange={(e) => setUrl(e.target.value)} placeholder="https://relay.example.org" className={inputClass} />
        </Field>
        <Field label="Relay token (optional)" id="set-relay-token" hint="Only needed for the first node of a cluster at this relay.">
          <input id="set-relay-token" value={token} onChange={(e) => setToken(e.target.value)} className={`${inputClass} font-mono`} />
        </Field>
        <div>
          <Button type="submit" variant="primary" disabled={busy || !url.trim()}>
            Join relay
          </Button>
        </div>
        <ErrorText>{error}</ErrorText>
      </form>
    </Card>
  );
}

export default function Settings() {
  const { state, dispatch } = useQuorum();
  const s = state.snapshot;
  if (!s) return <Waiting />;
  const onRestart = (reason) => dispatch({ type: 'restarting', reason });
  return (
    <div className="space-y-5">
      <PageTitle title="Settings" subtitle={`This node: ${s.node.name} · state in ${s.node.state_dir}`} />
      <Card title="Node">
        <NameForm key={s.node.name} name={s.node.name} />
      </Card>
      <Card
        title="Engines"
        actions={<span className="text-xs text-slate-500">autodetect {s.settings?.autodetect ? 'on' : 'off'}</span>}
      >
        {s.engines.length ? (
          <ul className="divide-y divide-slate-100">
            {s.engines.map((e) => (
              <EngineRow key={e.name} engine={e} />
            ))}
          </ul>
        ) : (
          <p className="text-sm text-slate-600">No engines yet. Ollama, LM Studio, llama-server and vLLM running on this machine are found by themselves; add one elsewhere below.</p>
        )}
        <AddEngineForm />
      </Card>
      <Card title="Models folder">
        <ModelsDirForm key={s.settings?.models_dir ?? ''} dir={s.settings?.models_dir ?? s.models_folder?.path ?? ''} />
      </Card>
      <ClusterCard cluster={s.cluster} onRestart={onRestart} restarting={!!state.restarting} />
      <RelayCard relay={s.relay} />
    </div>
  );
}
