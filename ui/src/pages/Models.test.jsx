import { afterEach, describe, expect, it, vi } from 'vitest';
import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { TEST_TOKEN, renderApp } from '../test/renderApp.jsx';
import { emptySnapshot, fullSnapshot } from '../test/fixtures.js';

afterEach(() => {
  vi.restoreAllMocks();
  delete globalThis.fetch;
});

describe('Models page', () => {
  it('lists every model with its nodes; Load/Unload only for embedded ones; live on a models event', async () => {
    globalThis.fetch = vi.fn(async () => ({ ok: true, status: 200, json: async () => ({ ok: true }) }));
    const { source } = renderApp('#/models');
    source.open();
    const snap = fullSnapshot();
    source.emit('snapshot', snap);
    const rows = screen.getAllByTestId('model-row');
    expect(rows.map((r) => r.dataset.modelId)).toEqual(snap.models.map((m) => m.id));
    const qwen = rows[0];
    expect(qwen.textContent).toContain('studio · loaded');
    expect(qwen.textContent).toContain('laptop');
    expect(qwen.textContent).toContain('469 MB');
    expect(within(rows[1]).queryByRole('button')).toBeNull(); // ollama's model: not embedded
    fireEvent.click(within(rows[3]).getByRole('button', { name: 'Load tinyllama-1.1b' }));
    await waitFor(() => expect(fetch).toHaveBeenCalledTimes(1));
    expect(fetch.mock.calls[0][0]).toBe('/api/ui/models/load');
    expect(fetch.mock.calls[0][1].headers['X-Quorum-UI-Token']).toBe(TEST_TOKEN);
    expect(JSON.parse(fetch.mock.calls[0][1].body)).toEqual({ id: 'tinyllama-1.1b' });
    source.emit('models', snap.models.map((m) => (m.id === 'tinyllama-1.1b' ? { ...m, loaded: true } : m)));
    await waitFor(() =>
      expect(within(screen.getAllByTestId('model-row')[3]).getByRole('button', { name: 'Unload tinyllama-1.1b' })).toBeTruthy(),
    );
    expect(screen.getByTestId('models-folder-path').textContent).toBe(snap.models_folder.path);
    expect(screen.getAllByTestId('models-folder-file')).toHaveLength(2);
  });

  it('explains what to do when there are no models', () => {
    const { source } = renderApp('#/models');
    source.open();
    source.emit('snapshot', emptySnapshot());
    expect(screen.queryByTestId('model-row')).toBeNull();
    expect(screen.getByText('No models yet')).toBeTruthy();
  });
});
