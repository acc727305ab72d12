import { afterEach, describe, expect, it, vi } from 'vitest';
import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { renderRelay, sent, signedOut } from '../test/renderRelay.jsx';
import { CLUSTER_ID, clusterSnapshot } from '../test/fixtures.js';

afterEach(() => {
  vi.restoreAllMocks();
  delete globalThis.fetch;
});

const meAs = (id, email, role) => ({ user: { id, email, operator: false },
  clusters: [{ id: CLUSTER_ID, name: 'Team lab', role, online_nodes: 2, nodes: 2 }] });
const base = `/api/clusters/${CLUSTER_ID}`;

async function openMembers(me, snapshot, routes = {}) {
  const { sources } = renderRelay(`#/c/${CLUSTER_ID}/members`, { 'GET /api/me': () => me, ...routes });
  await waitFor(() => expect(sources).toHaveLength(1));
  sources[0].open();
  sources[0].emit('snapshot', snapshot);
  return sources[0];
}

describe('Members', () => {
  it('lets an owner change a role, and shows an invite link once', async () => {
    const source = await openMembers(meAs('u-alice', 'alice@example.com', 'owner'), clusterSnapshot(), {
      [`PATCH ${base}/members/u-bob`]: () => ({ user_id: 'u-bob', email: 'bob@example.com', role: 'admin' }),
      [`POST ${base}/invites`]: () => ({ id: 'i-9', url: 'http://relay.test/#invite/qi_SECRETLINK', expires_at: 2_000_000_000 }),
    });
    // The last owner (alice) has no role select and no Remove; the others have both.
    expect(screen.queryByLabelText('Role of alice@example.com')).toBeNull();
    expect(screen.queryByRole('button', { name: /Remove alice|Leave/ })).toBeNull();
    fireEvent.change(screen.getByLabelText('Role of bob@example.com'), { target: { value: 'admin' } });
    await waitFor(() => expect(sent('PATCH', `${base}/members/u-bob`)).toBeTruthy());
    expect(JSON.parse(sent('PATCH', `${base}/members/u-bob`)[1].body)).toEqual({ role: 'admin' });
    source.emit('member', { user_id: 'u-bob', email: 'bob@example.com', role: 'admin' });
    expect(screen.getByLabelText('Role of bob@example.com').value).toBe('admin');

    expect([...screen.getByLabelText('Invite as').options].map((o) => o.value)).toEqual(['owner', 'admin', 'viewer']);
    fireEvent.change(screen.getByLabelText('Invite as'), { target: { value: 'admin' } });
    fireEvent.click(screen.getByRole('button', { name: 'Create invite link' }));
    const dialog = await screen.findByRole('dialog');
    expect(within(dialog).getByTestId('invite-url').value).toBe('http://relay.test/#invite/qi_SECRETLINK');
    expect(JSON.parse(sent('POST', `${base}/invites`)[1].body)).toEqual({ role: 'admin' });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Done' }));
    expect(document.body.textContent).not.toContain('SECRETLINK');
  });

  it('shows a viewer the members and no buttons that change them, nor invites', async () => {
    await openMembers(meAs('u-bob', 'bob@example.com', 'viewer'), { ...clusterSnapshot(), role: 'viewer', invites: [] });
    expect(screen.getAllByTestId('member-row')).toHaveLength(3);
    expect(screen.queryByRole('combobox')).toBeNull();
    expect(screen.queryByRole('button', { name: /Remove|Create invite link|Revoke/ })).toBeNull();
    expect(screen.queryByText('Invites')).toBeNull();
    // Leaving is one's own business.
    expect(screen.getByRole('button', { name: 'Leave the cluster' })).toBeTruthy();
  });

  it('an admin invites admins and viewers only', async () => {
    await openMembers(meAs('u-carol', 'carol@example.com', 'admin'), clusterSnapshot());
    expect([...screen.getByLabelText('Invite as').options].map((o) => o.value)).toEqual(['admin', 'viewer']);
    expect(screen.getAllByTestId('invite-row')).toHaveLength(1);
    expect(screen.queryByRole('combobox', { name: /Role of/ })).toBeNull();
  });
});

describe('Invite', () => {
  it('creates an account from an invite link and opens the cluster', async () => {
    let session = false;
    renderRelay('#invite/qi_tok1', {
      'GET /api/me': () => (session ? meAs('u-new', 'new@example.com', 'viewer') : signedOut()),
      'POST /api/invites/accept': () => {
        session = true;
        return { user: { id: 'u-new', email: 'new@example.com', operator: false }, cluster_id: CLUSTER_ID, role: 'viewer' };
      },
    });
    fireEvent.change(await screen.findByLabelText('Email'), { target: { value: 'new@example.com' } });
    fireEvent.change(screen.getByLabelText('New password'), { target: { value: 'short' } });
    fireEvent.click(screen.getByRole('button', { name: 'Create account and join' }));
    expect(screen.getByRole('alert').textContent).toMatch(/at least 8 characters/);
    expect(sent('POST', '/api/invites/accept')).toBeUndefined();
    fireEvent.change(screen.getByLabelText('New password'), { target: { value: 'long-enough' } });
    fireEvent.click(screen.getByRole('button', { name: 'Create account and join' }));
    await waitFor(() => expect(window.location.hash).toBe(`#/c/${CLUSTER_ID}/fleet`));
    expect(JSON.parse(sent('POST', '/api/invites/accept')[1].body)).toEqual({ token: 'qi_tok1', email: 'new@example.com', password: 'long-enough' });
  });

  it('joins as the signed-in user with just the token', async () => {
    renderRelay('#invite/qi_tok2', {
      'GET /api/me': () => meAs('u-carol', 'carol@example.com', 'admin'),
      'POST /api/invites/accept': () => ({ user: { id: 'u-carol' }, cluster_id: CLUSTER_ID, role: 'admin' }),
    });
    fireEvent.click(await screen.findByRole('button', { name: 'Join as carol@example.com' }));
    await waitFor(() => expect(window.location.hash).toBe(`#/c/${CLUSTER_ID}/fleet`));
    expect(JSON.parse(sent('POST', '/api/invites/accept')[1].body)).toEqual({ token: 'qi_tok2' });
  });
});
