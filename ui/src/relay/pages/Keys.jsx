// API keys: the list (state, models, limits, last used, expiry) and, for admins and owners, a form to create
// one — its full key is shown once, in a dialog with a Copy button — and Revoke with a confirmation.
import { useState } from 'react';
import { Badge, Button, Card, Empty, ErrorText, Field, PageTitle, inputClass } from '../../components/ui.jsx';
import { formatDateTime } from '../../lib/format.js';
import { can } from '../lib/roles.js';
import { useMutation } from '../lib/useMutation.js';
import ShowOnce from '../components/ShowOnce.jsx';

const STATE_TONE = { active: 'green', expired: 'amber', revoked: 'red' };

// The form's fields as the relay's POST body: models split on commas or spaces (none: every model), limits as
// numbers (blank: none), the expiry day as Unix seconds at the end of that day, local time (blank: never).
export function keyRequest({ name, models, rpm, tpm, maxParallel, expires }) {
  const num = (v) => (String(v).trim() === '' ? null : Number(v));
  return {
    name: name.trim(),
    models: models.split(/[\s,]+/).filter(Boolean),
    rpm: num(rpm),
    tpm: num(tpm),
    max_parallel: num(maxParallel),
    expires_at: expires ? Math.floor(new Date(`${expires}T23:59:59`).getTime() / 1000) : null,
  };
}

const EMPTY_FORM = { name: '', models: '', rpm: '', tpm: '', maxParallel: '', expires: '' };

function CreateKey({ clusterId, models, onCreated }) {
  const [form, setForm] = useState(EMPTY_FORM);
  const { run, busy, error } = useMutation();
  const set = (k) => (e) => setForm((f) => ({ ...f, [k]: e.target.value }));
  const submit = async (e) => {
    e.preventDefault();
    const answer = await run('POST', `/api/clusters/${encodeURIComponent(clusterId)}/keys`, keyRequest(form));
    if (answer) {
      onCreated({ ...answer, name: form.name.trim() });
      setForm(EMPTY_FORM);
    }
  };
  return (
    <Card title="Create a key" className="mb-5">
      <form onSubmit={submit} className="grid gap-3 md:grid-cols-3">
        <Field label="Key name" id="key-name">
          <input id="key-name" required className={inputClass} value={form.name} onChange={set('name')} placeholder="ci-bot" />
        </Field>
        <Field label="Models" id="key-models" hint="Comma-separated; empty: every model.">
          <input id="key-models" list="key-models-list" className={inputClass} value={form.models} onChange={set('models')} />
          <datalist id="key-models-list">
            {models.map((m) => (
              <option key={m.id} value={m.id} />
            ))}
          </datalist>
        </Field>
        <Field label="Expires" id="key-expires" hint="Empty: never.">
          <input id="key-expires" type="date" className={inputClass} value={form.expires} onChange={set('expires')} />
        </Field>
        <Field label="Requests per minute" id="key-rpm">
          <input id="key-rpm" type="number" min="1" className={inputClass} value={form.rpm} onChange={set('rpm')} placeholder="no limit" />
        </Field>
        <Field label="Tokens per minute" id="key-tpm">
          <input id="key-tpm" type="number" min="1" className={inputClass} value={form.tpm} onChange={set('tpm')} placeholder="no limit" />
        </Field>
        <Field label="Max parallel requests" id="key-parallel">
          <input id="key-parallel" type="number" min="1" className={inputClass} value={form.maxParallel} onChange={set('maxParallel')} placeholder="no limit" />
        </Field>
        <div className="flex items-center gap-3 md:col-span-3">
          <Button type="submit" variant="primary" disabled={busy}>
            Create key
          </Button>
          <ErrorText>{error}</ErrorText>
        </div>
      </form>
    </Card>
  );
}

function limitsText(l) {
  const parts = [];
  if (l?.rpm) parts.push(`${l.rpm} req/min`);
  if (l?.tpm) parts.push(`${l.tpm} tok/min`);
  if (l?.max_parallel) parts.push(`${l.max_parallel} parallel`);
  return parts.length ? parts.join(' · ') : 'none';
}

function KeyRow({ k, clusterId, mayRevoke, onRevoked }) {
  const [confirm, setConfirm] = useState(false);
  const { run, busy, error } = useMutation();
  const revoke = async () => {
    const answer = await run('DELETE', `/api/clusters/${encodeURIComponent(clusterId)}/keys/${encodeURIComponent(k.id)}`);
    if (answer) {
      setConfirm(false);
      onRevoked(k);
    }
  };
  const label = k.name || k.id;
  return (
    <tr data-testid="key-row" data-key-id={k.id} className="border-t border-slate-100 align-top">
      <th scope="row" className="py-2 pr-3 font-medium text-slate-900">
        {label}
        <span className="block text-xs font-normal text-slate-500">{k.id}</span>
      </th>
      <td className="py-2 pr-3">
        <Badge tone={STATE_TONE[k.state] ?? 'gray'} data-testid="key-state">{k.state}</Badge>
      </td>
      <td className="py-2 pr-3">{k.models?.length ? k.models.join(', ') : 'all'}</td>
      <td className="py-2 pr-3">{limitsText(k.limits)}</td>
      <td className="py-2 pr-3" data-testid="key-last-used">{k.last_used_at ? formatDateTime(k.last_used_at) : 'never'}</td>
      <td className="py-2 pr-3">{k.expires_at ? formatDateTime(k.expires_at) : 'never'}</td>
      <td className="py-2 pr-3 text-xs text-slate-500">
        {formatDateTime(k.created_at)}
        {k.created_by && <span className="block">by {k.created_by}</span>}
      </td>
      <td className="py-2 text-right">
        {mayRevoke && k.state === 'active' && !confirm && (
          <Button variant="danger" aria-label={`Revoke ${label}`} onClick={() => setConfirm(true)}>
            Revoke
          </Button>
        )}
        {confirm && (
          <div className="flex flex-col items-end gap-1">
            <span className="text-xs text-slate-600">Requests with this key will fail.</span>
            <div className="flex gap-1">
              <Button variant="danger" disabled={busy} onClick={revoke}>
                Confirm revoke
              </Button>
              <Button onClick={() => setConfirm(false)}>Cancel</Button>
            </div>
            <ErrorText>{error}</ErrorText>
          </div>
        )}
      </td>
    </tr>
  );
}

export default function Keys({ clusterId, snapshot, role, dispatch }) {
  const [created, setCreated] = useState(null);
  const keys = [...(snapshot.keys ?? [])].sort((a, b) => (b.created_at ?? 0) - (a.created_at ?? 0));
  // The relay's `key` event brings the revoked key too; this shows it at once.
  const onRevoked = (k) =>
    dispatch({ type: 'event', event: 'key', data: { ...k, state: 'revoked', revoked_at: Math.floor(Date.now() / 1000) } });
  return (
    <div>
      <PageTitle title="API keys" subtitle="Keys for the cluster’s OpenAI-compatible API on this relay" />
      {can(role, 'createKey') && <CreateKey clusterId={clusterId} models={snapshot.models ?? []} onCreated={setCreated} />}
      {created && (
        <ShowOnce
          title={`Your new key${created.name ? ` “${created.name}”` : ''}`}
          label="API key"
          value={created.key}
          testId="new-key"
          warning="Copy it now: this is the only time the key is shown. The relay keeps only its hash."
          onClose={() => setCreated(null)}
        />
      )}
      {keys.length === 0 ? (
        <Empty title="No keys yet">{can(role, 'createKey') ? 'Create one above.' : 'An admin or owner can create keys.'}</Empty>
      ) : (
        <Card>
          <div className="overflow-x-auto">
            <table className="w-full text-left text-sm">
              <thead>
                <tr className="text-xs text-slate-500">
                  {['Name', 'State', 'Models', 'Limits', 'Last used', 'Expires', 'Created'].map((h) => (
                    <th key={h} scope="col" className="py-2 pr-3 font-medium">{h}</th>
                  ))}
                  <th scope="col"><span className="sr-only">Actions</span></th>
                </tr>
              </thead>
              <tbody>
                {keys.map((k) => (
                  <KeyRow key={k.id} k={k} clusterId={clusterId} mayRevoke={can(role, 'revokeKey')} onRevoked={onRevoked} />
                ))}
              </tbody>
            </table>
          </div>
        </Card>
      )}
    </div>
  );
}
