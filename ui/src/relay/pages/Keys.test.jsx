import { afterEach, describe, expect, it, vi } from 'vitest';
import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { renderRelay, sent } from '../test/renderRelay.jsx';
import { CLUSTER_ID, clusterSnapshot, relayKey } from '../test/fixtures.js';
import { keyRequest } from './Keys.jsx';

afterEach(() => {
  vi.restoreAllMocks();
  delete globalThis.fetch;
});

const meAs = (id, email, role) => ({ user: { id, email, operator: false },
  clusters: [{ id: CLUSTER_ID, name: 'Team lab', role, online_nodes: 2, nodes: 2 }] });
const base = `/api/clusters/${CLUSTER_ID}`;

async function openKeys(me, snapshot, routes = {}) {
  const { sources } = renderRelay(`#/c/${CLUSTER_ID}/keys`, { 'GET /api/me': () => me, ...routes });
  await waitFor(() => expect(sources).toHaveLength(1));
  const source = sources[0];
  expect(source.url).toBe(`${base}/events`);
  source.open();
  source.emit('snapshot', snapshot);
  return source;
}

describe('Keys', () => {
  it('creates a key, shows it once with a copy button and a warning, then never again', async () => {
    const writeText = vi.fn(async () => {});
    Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true });
    const source = await openKeys(meAs('u-alice', 'alice@example.com', 'owner'), clusterSnapshot(), {
      [`POST ${base}/keys`]: () => ({ id: 'k-new1', key: 'qk_k-new1_S3cretS3cret' }),
    });
    expect(screen.getAllByTestId('key-row')).toHaveLength(2);
    fireEvent.change(screen.getByLabelText('Key name'), { target: { value: 'ci-2' } });
    fireEvent.change(screen.getByLabelText('Models'), { target: { value: 'qwen2.5-0.5b-instruct, llama3.2' } });
    fireEvent.change(screen.getByLabelText('Requests per minute'), { target: { value: '30' } });
    fireEvent.click(screen.getByRole('button', { name: 'Create key' }));

    const dialog = await screen.findByRole('dialog');
    expect(within(dialog).getByTestId('new-key').value).toBe('qk_k-new1_S3cretS3cret');
    expect(within(dialog).getByRole('note').textContent).toMatch(/only time the key is shown/);
    const [, init] = sent('POST', `${base}/keys`);
    expect(init.headers['Content-Type']).toBe('application/json');
    expect(JSON.parse(init.body)).toEqual({ name: 'ci-2', models: ['qwen2.5-0.5b-instruct', 'llama3.2'], rpm: 30, tpm: null, max_parallel: null, expires_at: null });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Copy' }));
    await waitFor(() => expect(writeText).toHaveBeenCalledWith('qk_k-new1_S3cretS3cret'));

    source.emit('key', relayKey({ id: 'k-new1', name: 'ci-2', created_at: 2_000_000_000, last_used_at: null }));
    fireEvent.click(within(dialog).getByRole('button', { name: 'Done' }));
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(document.body.textContent).not.toContain('S3cretS3cret');
    const rows = screen.getAllByTestId('key-row');
    expect(rows[0].dataset.keyId).toBe('k-new1');
    expect(within(rows[0]).getByTestId('key-last-used').textContent).toBe('never');
  });

  it('revokes after a confirmation', async () => {
    await openKeys(meAs('u-carol', 'carol@example.com', 'admin'), clusterSnapshot(), {
      [`DELETE ${base}/keys/k-ci0001`]: () => ({ id: 'k-ci0001', revoked: true }),
    });
    fireEvent.click(screen.getByRole('button', { name: 'Revoke ci-bot' }));
    expect(fetch.mock.calls.some(([, i]) => i?.method === 'DELETE')).toBe(false);
    fireEvent.click(screen.getByRole('button', { name: 'Confirm revoke' }));
    await waitFor(() => expect(within(screen.getAllByTestId('key-row')[0]).getByTestId('key-state').textContent).toBe('revoked'));
    const [, init] = sent('DELETE', `${base}/keys/k-ci0001`);
    expect(init.body).toBeUndefined();
  });

  it('shows a viewer no create or revoke', async () => {
    const snap = { ...clusterSnapshot(), role: 'viewer' };
    await openKeys(meAs('u-bob', 'bob@example.com', 'viewer'), snap);
    expect(screen.getAllByTestId('key-row')).toHaveLength(2);
    expect(screen.queryByRole('button', { name: /Create key|Revoke/ })).toBeNull();
    expect(screen.queryByLabelText('Key name')).toBeNull();
    expect(screen.getByTestId('header-role').textContent).toBe('viewer');
  });

  it('builds the request from the form', () => {
    expect(keyRequest({ name: ' a ', models: '', rpm: '', tpm: '100', maxParallel: '2', expires: '' })).toEqual({
      name: 'a', models: [], rpm: null, tpm: 100, max_parallel: 2, expires_at: null,
    });
    const { expires_at } = keyRequest({ name: 'a', models: '', rpm: '', tpm: '', maxParallel: '', expires: '2027-01-31' });
    expect(new Date(expires_at * 1000).getDate()).toBe(31);
  });
});
