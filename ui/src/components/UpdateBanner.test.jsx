import { afterEach, describe, expect, it, vi } from 'vitest';
import { fireEvent, screen, waitFor } from '@testing-library/react';
import { TEST_TOKEN, renderApp } from '../test/renderApp.jsx';
import { fullSnapshot } from '../test/fixtures.js';

const answer = (status, json) => ({ ok: status < 400, status, json: async () => json });
const update = (over) => ({ current: '0.1.0', available: null, state: 'up_to_date', error: null, feed: true, managed: null, ...over });

afterEach(() => {
  vi.restoreAllMocks();
  delete globalThis.fetch;
});

function open(snapshot) {
  const { source } = renderApp('#/');
  source.open();
  source.emit('snapshot', snapshot);
  return source;
}

describe('UpdateBanner', () => {
  it('is absent when the node is up to date', () => {
    open({ ...fullSnapshot(), update: update() });
    expect(screen.queryByTestId('update-banner')).toBeNull();
  });

  it('shows an available update and applies it with the token', async () => {
    globalThis.fetch = vi.fn(async () => answer(200, { state: 'applying' }));
    const source = open({ ...fullSnapshot(), update: update() });
    source.emit('update', update({ state: 'available', available: '0.2.0' }));
    const banner = await screen.findByTestId('update-banner');
    expect(banner.textContent).toContain('Update available: Quorum 0.2.0 (this node runs 0.1.0)');
    fireEvent.click(screen.getByRole('button', { name: 'Update now' }));
    await waitFor(() => expect(fetch).toHaveBeenCalledTimes(1));
    const [url, init] = fetch.mock.calls[0];
    expect(url).toBe('/api/ui/update/apply');
    expect(init.headers['X-Quorum-UI-Token']).toBe(TEST_TOKEN);
    source.emit('update', update({ state: 'downloading', available: '0.2.0' }));
    await waitFor(() => expect(screen.getByTestId('update-banner').textContent).toBe('Downloading the update…'));
  });

  it('sends apt installs to apt and shows a rollback', async () => {
    const source = open({ ...fullSnapshot(), update: update({ state: 'available', available: '0.2.0', managed: 'apt' }) });
    expect((await screen.findByTestId('update-banner')).textContent).toContain('update it with apt');
    expect(screen.queryByRole('button', { name: 'Update now' })).toBeNull();
    source.emit('update', update({ state: 'failed', error: 'the update to 0.2.0: the new binary exited before it served; rolled back to this version' }));
    await waitFor(() => expect(screen.getByTestId('update-banner').textContent).toContain('rolled back to this version'));
  });
});
