// The audit log: who changed what, newest first (GET …/audit, then `audit` events as they come).
import { Card, Empty, PageTitle } from '../../components/ui.jsx';
import { formatDateTime } from '../../lib/format.js';

function detailText(detail) {
  if (!detail || typeof detail !== 'object') return '';
  return Object.entries(detail)
    .map(([k, v]) => `${k}: ${typeof v === 'object' ? JSON.stringify(v) : v}`)
    .join(' · ');
}

export default function Audit({ audit }) {
  return (
    <div>
      <PageTitle title="Audit log" subtitle="Who changed what in this cluster, newest first" />
      {audit.length === 0 ? (
        <Empty title="Nothing yet">Key, member and invite changes and sign-ins appear here.</Empty>
      ) : (
        <Card>
          <div className="overflow-x-auto">
            <table className="w-full text-left text-sm">
              <thead>
                <tr className="text-xs text-slate-500">
                  {['When', 'Who', 'Action', 'Object', 'Detail'].map((h) => (
                    <th key={h} scope="col" className="py-2 pr-3 font-medium">{h}</th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {audit.map((e) => (
                  <tr key={e.id} data-testid="audit-row" className="border-t border-slate-100 align-top">
                    <td className="whitespace-nowrap py-2 pr-3 text-slate-600">{formatDateTime(e.at)}</td>
                    <td className="py-2 pr-3">{e.actor}</td>
                    <td className="py-2 pr-3 font-mono text-xs">{e.action}</td>
                    <td className="py-2 pr-3 font-mono text-xs">{e.object}</td>
                    <td className="py-2 text-xs text-slate-600">{detailText(e.detail)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </Card>
      )}
    </div>
  );
}
