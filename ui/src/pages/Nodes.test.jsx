import { describe, expect, it } from 'vitest';
import { screen, within } from '@testing-library/react';
import { renderApp } from '../test/renderApp.jsx';
import { fullSnapshot } from '../test/fixtures.js';

describe('Nodes page', () => {
  it('renders a card per node and updates them on a nodes event', () => {
    const { source } = renderApp('#/nodes');
    source.open();
    const snap = fullSnapshot();
    source.emit('snapshot', snap);
    let cards = screen.getAllByTestId('node-card');
    expect(cards.map((c) => c.dataset.nodeId)).toEqual(['n-self-0001', 'n-laptop-0002', 'n-office-0003']);
    const laptop = cards[1];
    expect(within(laptop).getByText('laptop')).toBeTruthy();
    expect(within(laptop).getByTestId('node-state').textContent).toBe('online');
    expect(within(laptop).getByTestId('node-load').textContent).toBe('0 / 2');
    expect(laptop.textContent).toContain('192.168.1.23:32768');
    expect(laptop.textContent).toContain('lmstudio');
    expect(laptop.textContent).toContain('deepseek-r1-distill-7b');
    expect(within(cards[2]).getByText('connection timed out')).toBeTruthy();

    const changed = [
      snap.nodes[0],
      { ...snap.nodes[1], state: 'unreachable', in_flight: 2, name: 'laptop-2' },
      { ...snap.nodes[2], id: 'n-new-0004', name: 'newbie', state: 'pending', error: undefined },
    ];
    source.emit('nodes', changed);
    cards = screen.getAllByTestId('node-card');
    expect(cards.map((c) => c.dataset.nodeId)).toEqual(['n-self-0001', 'n-laptop-0002', 'n-new-0004']);
    expect(within(cards[1]).getByText('laptop-2')).toBeTruthy();
    expect(within(cards[1]).getByTestId('node-state').textContent).toBe('unreachable');
    expect(within(cards[1]).getByTestId('node-load').textContent).toBe('2 / 2');
    expect(within(cards[2]).getByTestId('node-state').textContent).toBe('pending');
  });
});
