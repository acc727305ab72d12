import { afterEach, describe, expect, it, vi } from 'vitest';
import { fireEvent, screen, waitFor } from '@testing-library/react';
import { renderRelay, sent, signedOut } from '../test/renderRelay.jsx';
import { CLUSTER_ID } from '../test/fixtures.js';

afterEach(() => {
  vi.restoreAllMocks();
  delete globalThis.fetch;
});

const me = { user: { id: 'u-alice', email: 'alice@example.com', operator: false },
  clusters: [{ id: CLUSTER_ID, name: 'Team lab', role: 'owner', online_nodes: 2, nodes: 2 }] };

describe('sign-in', () => {
  it('goes to sign-in without a session, signs in with JSON, and opens the only cluster', async () => {
    let signedIn = false;
    renderRelay('#/', {
      'GET /api/me': () => (signedIn ? me : signedOut()),
      'POST /api/session': (init) => {
        const b = JSON.parse(init.body);
        if (b.password !== 'password123') return [401, { error: { message: 'Wrong email or password', code: 'invalid_credentials' } }];
        signedIn = true;
        return { user: me.user };
      },
    });
    await screen.findByRole('heading', { name: 'Sign in' });
    await waitFor(() => expect(window.location.hash).toBe('#signin'));

    fireEvent.change(screen.getByLabelText('Email'), { target: { value: 'alice@example.com' } });
    fireEvent.change(screen.getByLabelText('Password'), { target: { value: 'wrong' } });
    fireEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    expect((await screen.findByRole('alert')).textContent).toBe('Wrong email or password');
    const [, init] = sent('POST', '/api/session');
    expect(init.headers['Content-Type']).toBe('application/json');
    expect(JSON.parse(init.body)).toEqual({ email: 'alice@example.com', password: 'wrong' });

    fireEvent.change(screen.getByLabelText('Password'), { target: { value: 'password123' } });
    fireEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    await waitFor(() => expect(window.location.hash).toBe(`#/c/${CLUSTER_ID}/fleet`));
    expect(await screen.findByTestId('header-user')).toBeTruthy();
    expect(screen.getByTestId('header-user').textContent).toBe('alice@example.com');
  });

  it('says why after a spent sign-in link', async () => {
    renderRelay('#signin?error=link', { 'GET /api/me': signedOut });
    expect((await screen.findByRole('alert')).textContent).toMatch(/sign-in link was already used, has expired or is unknown/);
  });

  it('returns to sign-in on a 401 signed_out from a later call, and signs out with DELETE', async () => {
    let session = true;
    const { sources } = renderRelay(`#/c/${CLUSTER_ID}/fleet`, {
      'GET /api/me': () => (session ? me : signedOut()),
      'DELETE /api/session': () => {
        session = false;
        return [204, undefined];
      },
    });
    const button = await screen.findByRole('button', { name: 'Sign out' });
    expect(sources).toHaveLength(1);
    fireEvent.click(button);
    await screen.findByRole('heading', { name: 'Sign in' });
    const [, init] = sent('DELETE', '/api/session');
    expect(init.body).toBeUndefined();
    expect(sources[0].closed).toBe(true);
  });
});
