import { afterEach, describe, expect, it, vi } from 'vitest';
import { fireEvent, screen, waitFor } from '@testing-library/react';
import { TEST_TOKEN, renderApp } from '../test/renderApp.jsx';
import { emptySnapshot, fullSnapshot } from '../test/fixtures.js';

const answer = (status, json) => ({ ok: status < 400, status, json: async () => json });

afterEach(() => {
  vi.restoreAllMocks();
  delete globalThis.fetch;
});

function openSettings(snapshot) {
  const { source } = renderApp('#/settings');
  source.open();
  source.emit('snapshot', snapshot);
  return source;
}

describe('Settings', () => {
  it('posts with the token header and shows the API error message', async () => {
    globalThis.fetch = vi.fn(async () =>
      answer(400, { error: { message: 'An engine named gpu exists already', type: 'invalid_request_error', code: 'engine_exists' } }),
    );
    openSettings(fullSnapshot());
    fireEvent.change(screen.getByLabelText('Engine name'), { target: { value: 'gpu' } });
    fireEvent.change(screen.getByLabelText('Engine URL'), { target: { value: 'http://10.0.0.2:8000' } });
    fireEvent.change(screen.getByLabelText('Engine type'), { target: { value: 'ollama' } });
    fireEvent.click(screen.getByRole('button', { name: 'Add engine' }));
    expect((await screen.findByRole('alert')).textContent).toBe('An engine named gpu exists already');
    expect(fetch).toHaveBeenCalledTimes(1);
    const [url, init] = fetch.mock.calls[0];
    expect(url).toBe('/api/ui/engines/add');
    expect(init.method).toBe('POST');
    expect(init.headers).toEqual({ 'Content-Type': 'application/json', 'X-Quorum-UI-Token': TEST_TOKEN });
    expect(JSON.parse(init.body)).toEqual({ name: 'gpu', url: 'http://10.0.0.2:8000', type: 'ollama' });
  });

  it('shows the join token only when asked', async () => {
    globalThis.fetch = vi.fn(async () => answer(200, { token: 'join-abc' }));
    openSettings(fullSnapshot());
    expect(screen.queryByTestId('join-token')).toBeNull();
    fireEvent.click(screen.getByRole('button', { name: 'Show join token' }));
    expect((await screen.findByTestId('join-token')).textContent).toBe('join-abc');
    expect(fetch.mock.calls[0][0]).toBe('/api/ui/cluster/token');
    expect(screen.getByRole('button', { name: 'Copy' })).toBeTruthy();
  });

  it('creating a cluster shows "Restarting…" until a fresh snapshot arrives', async () => {
    globalThis.fetch = vi.fn(async () => answer(200, { ok: true, restarting: true }));
    const source = openSettings(emptySnapshot());
    fireEvent.click(screen.getByRole('button', { name: 'Create a cluster' }));
    await waitFor(() => expect(screen.getByTestId('connection-banner').textContent).toMatch(/Restarting…/));
    expect(fetch.mock.calls[0][0]).toBe('/api/ui/cluster/init');
    source.fail(0); // the node re-execs: the stream drops, EventSource reconnects
    expect(screen.getByTestId('connection-banner').textContent).toMatch(/Restarting…/);
    source.open();
    expect(screen.getByTestId('connection-banner').textContent).toMatch(/Restarting…/);
    source.emit('snapshot', { ...emptySnapshot(), cluster: { id: 'c-1', fingerprint: 'f' } });
    expect(screen.queryByTestId('connection-banner')).toBeNull();
    expect(screen.getByRole('button', { name: 'Show join token' })).toBeTruthy();
  });

  it('renames the node with the name typed', async () => {
    globalThis.fetch = vi.fn(async () => answer(200, { ok: true }));
    openSettings(fullSnapshot());
    fireEvent.change(screen.getByLabelText('Node name'), { target: { value: 'workstation' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save name' }));
    await waitFor(() => expect(fetch).toHaveBeenCalledTimes(1));
    expect(fetch.mock.calls[0][0]).toBe('/api/ui/node');
    expect(JSON.parse(fetch.mock.calls[0][1].body)).toEqual({ name: 'workstation' });
  });
});
