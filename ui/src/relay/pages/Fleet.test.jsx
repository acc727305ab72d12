import { afterEach, describe, expect, it, vi } from 'vitest';
import { act, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { renderRelay, signedOut } from '../test/renderRelay.jsx';
import { CLUSTER_ID, clusterSnapshot, usageRows } from '../test/fixtures.js';

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
  delete globalThis.fetch;
});

const me = { user: { id: 'u-alice', email: 'alice@example.com', operator: false },
  clusters: [{ id: CLUSTER_ID, name: 'Team lab', role: 'owner', online_nodes: 2, nodes: 2 }] };

async function openFleet(routes = {}, tab = 'fleet') {
  const r = renderRelay(`#/c/${CLUSTER_ID}/${tab}`, { 'GET /api/me': () => me, ...routes });
  await waitFor(() => expect(r.sources).toHaveLength(1));
  return r.sources;
}

describe('Fleet', () => {
  it('shows each node as a card and follows node events live', async () => {
    const [source] = await openFleet();
    expect(screen.getByTestId('connection-banner').dataset.state).toBe('connecting');
    source.open();
    const snap = clusterSnapshot();
    source.emit('snapshot', snap);
    expect(screen.queryByTestId('connection-banner')).toBeNull();
    let cards = screen.getAllByTestId('node-card');
    expect(cards.map((c) => c.dataset.nodeId)).toEqual(['n-laptop-0002', 'n-studio-0001']);
    const studio = cards[1];
    expect(within(studio).getByTestId('node-state').textContent).toBe('online');
    expect(within(studio).getByTestId('node-since').textContent).toMatch(/^online since .* \(3 h ago\)$/);
    expect(within(studio).getByTestId('node-load').textContent).toBe('1 running · 0 queued');
    expect(studio.textContent).toContain('203.0.113.7');
    expect(studio.textContent).toContain('relay link');
    expect(studio.textContent).toContain('0.5.0');
    expect(studio.textContent).toContain('qwen2.5-0.5b-instruct (loaded)');
    expect(cards[0].textContent).toContain('gpu(openai) (not healthy)');
    expect(screen.getByText('2 of 2 nodes online')).toBeTruthy();

    // 150 s, not 120: the page's clock ticks every 5 s, so it may be seconds behind this one; half a unit of
    // margin keeps the expected "2 min ago" whatever the lag (120 s read "1 min ago" on a slow run).
    source.emit('node', { ...snap.nodes[0], online: false, since: Math.floor(Date.now() / 1000) - 150, load: { running: 0, queued: 0 } });
    cards = screen.getAllByTestId('node-card');
    const gone = cards.find((c) => c.dataset.nodeId === 'n-studio-0001');
    expect(gone.dataset.online).toBe('false');
    expect(within(gone).getByTestId('node-state').textContent).toBe('offline');
    expect(within(gone).getByTestId('node-since').textContent).toMatch(/^offline since .* \(2 min ago\)$/);
    expect(screen.getByText('1 of 2 nodes online')).toBeTruthy();

    source.emit('node_removed', { id: 'n-studio-0001' });
    expect(screen.getAllByTestId('node-card')).toHaveLength(1);
  });

  it('says reconnecting, and after the browser gives up reopens the stream with backoff', async () => {
    const [source] = await openFleet();
    source.open();
    source.emit('snapshot', clusterSnapshot());
    vi.useFakeTimers();
    source.fail(0); // the browser retries by itself
    expect(screen.getByTestId('connection-banner').textContent).toMatch(/reconnecting/);
    source.open();
    expect(screen.queryByTestId('connection-banner')).toBeNull();
    source.fail(2); // CLOSED: the page opens a new one after asking /api/me
    expect(source.closed).toBe(true);
    await act(async () => {
      await vi.advanceTimersByTimeAsync(1000);
    });
    const { FakeEventSource } = await import('../../test/fakeEventSource.js');
    expect(FakeEventSource.instances).toHaveLength(2);
    expect(FakeEventSource.last.url).toBe(`/api/clusters/${CLUSTER_ID}/events`);
  });

  it('goes back to sign-in when the stream ends because the session did', async () => {
    let session = true;
    const [source] = await openFleet({ 'GET /api/me': () => (session ? me : signedOut()) });
    source.open();
    source.emit('snapshot', clusterSnapshot());
    session = false;
    source.fail(2);
    await screen.findByRole('heading', { name: 'Sign in' });
    expect(window.location.hash).toBe('#signin');
  });

  it('draws usage charts with their numbers as text, and adds usage events', async () => {
    const rows = usageRows(Date.now(), 30);
    const [source] = await openFleet({ [`GET /api/clusters/${CLUSTER_ID}/usage`]: () => ({ data: rows }),
      [`GET /api/clusters/${CLUSTER_ID}/audit`]: () => ({ data: [] }) }, 'usage');
    source.open();
    source.emit('snapshot', clusterSnapshot());
    const byKey = await screen.findByTestId('usage-by-key');
    await waitFor(() => expect(within(byKey).getByRole('img').getAttribute('aria-label')).toMatch(/ci-bot/));
    const label = () => within(screen.getByTestId('usage-by-node')).getByRole('img').getAttribute('aria-label');
    const total = (s) => Number(s.match(/: ([\d,]+) requests/)[1].replace(/,/g, ''));
    const before = total(label());
    const today = new Date().toISOString().slice(0, 10);
    source.emit('usage', { day: today, key_id: 'k-ci0001', node_id: 'n-studio-0001', model: 'qwen2.5-0.5b-instruct', requests: 5, failed: 0, prompt_tokens: 1, completion_tokens: 2 });
    expect(total(label())).toBe(before + 5);
    fireEvent.click(within(byKey).getByRole('button', { name: 'Show as table' }));
    expect(within(byKey).getByRole('table')).toBeTruthy();
    expect(within(byKey).getByRole('rowheader', { name: today })).toBeTruthy();
  });
});
