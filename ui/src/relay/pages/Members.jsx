// Members and invites. Everyone sees the members; owners change roles and remove members (never the last
// owner); anyone but the last owner may leave. Admins and owners see pending invites, revoke them, and create an
// invite link for a role — the link is shown once, with a Copy button.
import { useState } from 'react';
import { Badge, Button, Card, ErrorText, Field, PageTitle, inputClass } from '../../components/ui.jsx';
import { formatDateTime } from '../../lib/format.js';
import { ROLES, allowed, isLastOwner } from '../lib/roles.js';
import { useMutation } from '../lib/useMutation.js';
import ShowOnce from '../components/ShowOnce.jsx';

const base = (clusterId) => `/api/clusters/${encodeURIComponent(clusterId)}`;

function MemberRow({ m, members, me, clusterId, may, onLeft }) {
  const [confirm, setConfirm] = useState(false);
  const { run, busy, error } = useMutation();
  const self = m.user_id === me.id;
  const last = isLastOwner(members, m);
  const path = `${base(clusterId)}/members/${encodeURIComponent(m.user_id)}`;
  const remove = async () => {
    if ((await run('DELETE', path)) && self) onLeft();
    setConfirm(false);
  };
  const mayRemove = !last && (may.removeMember || self);
  return (
    <tr data-testid="member-row" data-user-id={m.user_id} className="border-t border-slate-100">
      <th scope="row" className="py-2 pr-3 font-medium text-slate-900">
        {m.email}
        {self && <span className="ml-1 text-xs font-normal text-slate-500">(you)</span>}
      </th>
      <td className="py-2 pr-3">
        {may.changeRole && !last ? (
          <select
            aria-label={`Role of ${m.email}`}
            className={`${inputClass} w-auto`}
            value={m.role}
            disabled={busy}
            onChange={(e) => run('PATCH', path, { role: e.target.value })}
          >
            {ROLES.map((r) => (
              <option key={r} value={r}>{r}</option>
            ))}
          </select>
        ) : (
          <Badge tone={m.role === 'owner' ? 'blue' : 'gray'}>{m.role}</Badge>
        )}
      </td>
      <td className="py-2 text-right">
        {mayRemove && !confirm && (
          <Button variant="danger" aria-label={self ? 'Leave the cluster' : `Remove ${m.email}`} onClick={() => setConfirm(true)}>
            {self ? 'Leave' : 'Remove'}
          </Button>
        )}
        {confirm && (
          <span className="inline-flex gap-1">
            <Button variant="danger" disabled={busy} onClick={remove}>
              {self ? 'Confirm leave' : 'Confirm remove'}
            </Button>
            <Button onClick={() => setConfirm(false)}>Cancel</Button>
          </span>
        )}
        <ErrorText>{error}</ErrorText>
      </td>
    </tr>
  );
}

function InviteForm({ clusterId, roles, onCreated }) {
  const [role, setRole] = useState(roles.includes('viewer') ? 'viewer' : roles[0]);
  const [email, setEmail] = useState('');
  const { run, busy, error } = useMutation();
  const submit = async (e) => {
    e.preventDefault();
    const body = { role };
    if (email.trim()) body.email = email.trim();
    const answer = await run('POST', `${base(clusterId)}/invites`, body);
    if (answer) {
      onCreated(answer);
      setEmail('');
    }
  };
  return (
    <form onSubmit={submit} className="flex flex-wrap items-end gap-3">
      <Field label="Invite as" id="invite-role">
        <select id="invite-role" className={inputClass} value={role} onChange={(e) => setRole(e.target.value)}>
          {roles.map((r) => (
            <option key={r} value={r}>{r}</option>
          ))}
        </select>
      </Field>
      <Field label="Email (optional)" id="invite-for-email">
        <input id="invite-for-email" type="email" className={inputClass} value={email} onChange={(e) => setEmail(e.target.value)} />
      </Field>
      <Button type="submit" variant="primary" disabled={busy}>
        Create invite link
      </Button>
      <ErrorText>{error}</ErrorText>
    </form>
  );
}

function InviteRow({ inv, clusterId, mayRevoke }) {
  const { run, busy, error } = useMutation();
  return (
    <li data-testid="invite-row" className="flex flex-wrap items-center justify-between gap-2 border-t border-slate-100 py-2 text-sm">
      <span>
        <Badge>{inv.role}</Badge> {inv.email || 'anyone with the link'}
        <span className="ml-2 text-xs text-slate-500">
          expires {formatDateTime(inv.expires_at)}
          {inv.created_by && ` · by ${inv.created_by}`}
        </span>
      </span>
      {mayRevoke && (
        <Button variant="danger" disabled={busy} aria-label={`Revoke invite ${inv.id}`}
          onClick={() => run('DELETE', `${base(clusterId)}/invites/${encodeURIComponent(inv.id)}`)}>
          Revoke
        </Button>
      )}
      <ErrorText>{error}</ErrorText>
    </li>
  );
}

export default function Members({ clusterId, snapshot, role, me, onLeft }) {
  const [invite, setInvite] = useState(null);
  const may = allowed(role);
  const members = snapshot.members ?? [];
  const invites = snapshot.invites ?? [];
  return (
    <div>
      <PageTitle title="Members" subtitle="Owners manage members; admins manage keys and invites; viewers look" />
      <Card className="mb-5">
        <table className="w-full text-left text-sm">
          <thead>
            <tr className="text-xs text-slate-500">
              <th scope="col" className="py-2 pr-3 font-medium">Email</th>
              <th scope="col" className="py-2 pr-3 font-medium">Role</th>
              <th scope="col"><span className="sr-only">Actions</span></th>
            </tr>
          </thead>
          <tbody>
            {members.map((m) => (
              <MemberRow key={m.user_id} m={m} members={members} me={me} clusterId={clusterId} may={may} onLeft={onLeft} />
            ))}
          </tbody>
        </table>
      </Card>
      {may.seeInvites && (
        <Card title="Invites">
          {may.createInvite && <InviteForm clusterId={clusterId} roles={may.inviteRoles} onCreated={setInvite} />}
          {invites.length > 0 ? (
            <ul className="mt-4">
              {invites.map((inv) => (
                <InviteRow key={inv.id} inv={inv} clusterId={clusterId} mayRevoke={may.revokeInvite} />
              ))}
            </ul>
          ) : (
            <p className="mt-4 text-sm text-slate-500">No pending invites.</p>
          )}
        </Card>
      )}
      {invite && (
        <ShowOnce
          title="Invite link"
          label="Link"
          value={invite.url}
          testId="invite-url"
          warning={`Send this link to the person you invite: it is shown only now, works once, and expires ${formatDateTime(invite.expires_at)}.`}
          onClose={() => setInvite(null)}
        />
      )}
    </div>
  );
}
