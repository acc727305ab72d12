// Models across the cluster: each model, the nodes that have it and where it is loaded (online nodes first).
import { Badge, Card, Empty, PageTitle } from '../../components/ui.jsx';

export default function Models({ snapshot }) {
  const nodes = new Map((snapshot.nodes ?? []).map((n) => [n.id, n]));
  const models = snapshot.models ?? [];
  return (
    <div>
      <PageTitle title="Models" subtitle={`${models.length} ${models.length === 1 ? 'model' : 'models'} in the cluster`} />
      {models.length === 0 ? (
        <Empty title="No models yet">The models of the cluster’s nodes are listed here.</Empty>
      ) : (
        <Card>
          <table className="w-full text-left text-sm">
            <thead>
              <tr className="text-xs text-slate-500">
                <th scope="col" className="py-2 pr-4 font-medium">Model</th>
                <th scope="col" className="py-2 pr-4 font-medium">Loaded</th>
                <th scope="col" className="py-2 font-medium">On nodes</th>
              </tr>
            </thead>
            <tbody>
              {models.map((m) => {
                const on = m.nodes ?? [];
                const loaded = new Set(m.loaded_on ?? []);
                const online = on.filter((id) => nodes.get(id)?.online).length;
                return (
                  <tr key={m.id} data-testid="model-row" data-model-id={m.id} className="border-t border-slate-100 align-top">
                    <th scope="row" className="py-2 pr-4 font-medium text-slate-900">
                      {m.id}
                      {online === 0 && <span className="ml-2 text-xs font-normal text-slate-500">(no node online)</span>}
                    </th>
                    <td className="py-2 pr-4 tabular-nums" data-testid="model-loaded">
                      {loaded.size} of {on.length}
                    </td>
                    <td className="py-2">
                      <ul className="flex flex-wrap gap-1">
                        {on.map((id) => {
                          const n = nodes.get(id);
                          const state = `${loaded.has(id) ? 'loaded' : 'not loaded'}${n?.online ? '' : ', node offline'}`;
                          return (
                            <li key={id}>
                              <Badge tone={loaded.has(id) ? 'green' : 'gray'} title={state}>
                                <span className={n?.online ? '' : 'line-through'}>{n?.name || id}</span>
                                <span className="sr-only"> ({state})</span>
                              </Badge>
                            </li>
                          );
                        })}
                      </ul>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </Card>
      )}
    </div>
  );
}
