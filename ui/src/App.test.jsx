import { describe, expect, it } from 'vitest';
import { screen } from '@testing-library/react';
import { renderApp } from './test/renderApp.jsx';
import { FakeEventSource } from './test/fakeEventSource.js';
import { emptySnapshot, fullSnapshot } from './test/fixtures.js';

describe('app shell', () => {
  it('opens one event stream and keeps document.title in line with the cluster', () => {
    const { source } = renderApp('#/');
    expect(FakeEventSource.instances).toHaveLength(1);
    expect(source.url).toBe('/api/ui/events');
    expect(document.title).toBe('Quorum');
    source.open();
    source.emit('snapshot', emptySnapshot());
    expect(document.title).toBe('Quorum — 1 node online');
    const full = fullSnapshot();
    source.emit('nodes', full.nodes); // 2 online, 1 unreachable
    expect(document.title).toBe('Quorum — 2 nodes online');
    source.emit('nodes', full.nodes.map((n) => ({ ...n, state: 'online' })));
    expect(document.title).toBe('Quorum — 3 nodes online');
    expect(FakeEventSource.instances).toHaveLength(1);
  });

  it('shows the connection banner while the stream is not open', () => {
    const { source } = renderApp('#/');
    expect(screen.getByTestId('connection-banner')).toBeTruthy();
    source.open();
    source.emit('snapshot', fullSnapshot());
    expect(screen.queryByTestId('connection-banner')).toBeNull();
    source.fail(0); // the browser reconnects by itself
    expect(screen.getByTestId('connection-banner').textContent).toMatch(/Disconnected — reconnecting/);
    source.open();
    expect(screen.queryByTestId('connection-banner')).toBeNull();
  });

  it('shows the dashboard with stats, recent requests and engines', () => {
    const { source } = renderApp('#/');
    source.open();
    const snap = fullSnapshot();
    source.emit('snapshot', snap);
    expect(screen.getAllByTestId('request-row')).toHaveLength(snap.requests.recent.length);
    expect(screen.getByTestId('stat-nodes').textContent).toContain('2 / 3');
    expect(screen.getByTestId('stat-in-flight').textContent).toContain('1');
    source.emit('load', { in_flight: 3 });
    expect(screen.getByTestId('stat-in-flight').textContent).toContain('3');
    source.emit('request', { record: { ...snap.requests.recent[0], request_id: 'new', model: 'fresh-model' }, in_flight: 2 });
    const rows = screen.getAllByTestId('request-row');
    expect(rows).toHaveLength(snap.requests.recent.length + 1);
    expect(rows[0].textContent).toContain('fresh-model');
    expect(screen.getByTestId('stat-in-flight').textContent).toContain('2');
  });
});
