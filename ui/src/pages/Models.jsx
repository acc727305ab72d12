// Models: every model of the cluster with the nodes that hold it (loaded or not), size and engine; Load/Unload
// for the models of this node's embedded engine; the models folder and its files.
import { useQuorum } from '../store.jsx';
import { useAction } from '../lib/useAction.js';
import { formatBytes } from '../lib/format.js';
import { Badge, Button, Card, Empty, ErrorText, PageTitle, Waiting } from '../components/ui.jsx';

function LoadButton({ model }) {
  const { run, busy, error } = useAction();
  const path = model.loaded ? '/api/ui/models/unload' : '/api/ui/models/load';
  return (
    <div className="flex flex-col items-end gap-1">
      <Button
        variant={model.loaded ? 'secondary' : 'primary'}
        disabled={busy}
        onClick={() => run(path, { id: model.id })}
        aria-label={`${model.loaded ? 'Unload' : 'Load'} ${model.id}`}
      >
        {busy ? (model.loaded ? 'Unloading…' : 'Loading…') : model.loaded ? 'Unload' : 'Load'}
      </Button>
      <ErrorText>{error}</ErrorText>
    </div>
  );
}

function ModelRow({ model }) {
  return (
    <tr data-testid="model-row" data-model-id={model.id} className="align-top">
      <td className="py-3 pr-3">
        <p className="font-medium text-slate-900">{model.id}</p>
        <p className="mt-0.5">
          <Badge tone={model.loaded ? 'green' : 'gray'}>{model.loaded ? 'loaded' : 'not loaded'}</Badge>
        </p>
      </td>
      <td className="py-3 pr-3">
        <ul className="flex flex-wrap gap-1">
          {model.nodes.map((n) => (
            <li key={n.id}>
              <Badge tone={n.loaded ? 'green' : 'gray'} title={n.loaded ? 'loaded on this node' : 'held, not loaded'}>
                {n.name}
                {n.loaded ? ' · loaded' : ''}
              </Badge>
            </li>
          ))}
        </ul>
      </td>
      <td className="py-3 pr-3 tabular-nums text-slate-700">{formatBytes(model.size_bytes)}</td>
      <td className="py-3 pr-3 text-slate-700">{model.engines.length ? model.engines.join(', ') : <span className="text-slate-500">elsewhere</span>}</td>
      <td className="py-3 text-right">{model.embedded && <LoadButton model={model} />}</td>
    </tr>
  );
}

function ModelsFolder({ folder }) {
  return (
    <Card title="Models folder">
      <p className="break-all font-mono text-sm text-slate-800" data-testid="models-folder-path">
        {folder?.path || '—'}
      </p>
      <p className="mt-1 text-xs text-slate-500">
        Every <code>.gguf</code> file put here is served by this node’s built-in engine. Change the folder in{' '}
        <a className="text-indigo-700 underline" href="#/settings">Settings</a>.
      </p>
      {folder?.files?.length ? (
        <ul className="mt-3 divide-y divide-slate-100 text-sm">
          {folder.files.map((f) => (
            <li key={f.name} className="flex justify-between gap-3 py-1.5" data-testid="models-folder-file">
              <span className="truncate font-mono text-slate-800">{f.name}</span>
              <span className="shrink-0 tabular-nums text-slate-500">{formatBytes(f.size_bytes)}</span>
            </li>
          ))}
        </ul>
      ) : (
        <p className="mt-3 text-sm text-slate-600">The folder has no files yet.</p>
      )}
    </Card>
  );
}

export default function Models() {
  const { state } = useQuorum();
  const s = state.snapshot;
  if (!s) return <Waiting />;
  return (
    <div className="space-y-5">
      <PageTitle title="Models" subtitle="Every model of the cluster, and the nodes that hold it" />
      <Card>
        {s.models.length ? (
          <table className="w-full text-left text-sm">
            <thead className="text-xs uppercase tracking-wide text-slate-500">
              <tr>
                <th className="pb-2 pr-3 font-medium">Model</th>
                <th className="pb-2 pr-3 font-medium">Nodes</th>
                <th className="pb-2 pr-3 font-medium">Size</th>
                <th className="pb-2 pr-3 font-medium">Engine here</th>
                <th className="pb-2 text-right font-medium">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100">
              {s.models.map((m) => (
                <ModelRow key={m.id} model={m} />
              ))}
            </tbody>
          </table>
        ) : (
          <Empty title="No models yet">
            Copy a <code>.gguf</code> file into the models folder below, start an engine such as Ollama or llama-server
            on this machine, or add one in <a className="text-indigo-700 underline" href="#/settings">Settings</a>.
          </Empty>
        )}
      </Card>
      <ModelsFolder folder={s.models_folder} />
    </div>
  );
}
