import { afterEach, describe, expect, it, vi } from 'vitest';
import { act, fireEvent, screen, waitFor } from '@testing-library/react';
import { renderApp } from '../test/renderApp.jsx';
import { fullSnapshot } from '../test/fixtures.js';
import { controlledBody } from '../test/fakeStream.js';

const chunk = (delta) => `data: ${JSON.stringify({ choices: [{ index: 0, delta, finish_reason: null }] })}\n\n`;

function mockChatFetch() {
  const calls = [];
  globalThis.fetch = vi.fn(async (url, init) => {
    const stream = controlledBody(init.signal);
    calls.push({ url, init, stream });
    return {
      ok: true,
      status: 200,
      headers: new Headers({ 'content-type': 'text/event-stream', 'x-quorum-node': 'laptop', 'x-quorum-node-id': 'n-laptop-0002' }),
      body: stream.body,
    };
  });
  return calls;
}

async function startChat(text) {
  const { source } = renderApp('#/playground');
  source.open();
  source.emit('snapshot', fullSnapshot());
  fireEvent.change(screen.getByLabelText('Message'), { target: { value: text } });
  fireEvent.click(screen.getByRole('button', { name: 'Send' }));
}

afterEach(() => {
  vi.restoreAllMocks();
  delete globalThis.fetch;
});

describe('Playground', () => {
  it('streams reasoning apart (collapsible) and the answer, with served-by and stats', async () => {
    const calls = mockChatFetch();
    await startChat('Say hello');
    await waitFor(() => expect(calls).toHaveLength(1));
    const { url, init, stream } = calls[0];
    expect(url).toBe('/v1/chat/completions');
    const body = JSON.parse(init.body);
    expect(body).toMatchObject({ model: 'qwen2.5-0.5b-instruct', stream: true, stream_options: { include_usage: true } });
    expect(body.messages.at(-1)).toEqual({ role: 'user', content: 'Say hello' });
    await waitFor(() => expect(screen.getByTestId('served-by').textContent).toBe('Served by laptop'));

    await act(async () => stream.push(chunk({ reasoning_content: 'Let me ' }) + chunk({ reasoning_content: 'think.' })));
    const reasoning = await screen.findByTestId('reasoning');
    expect(reasoning.tagName).toBe('DETAILS');
    expect(reasoning.textContent).toContain('Let me think.');
    expect(screen.getByTestId('answer').textContent).not.toContain('Let me think.');

    await act(async () => stream.push(chunk({ content: 'Hel' })));
    await act(async () => stream.push(chunk({ content: 'lo!' })));
    await waitFor(() => expect(screen.getByTestId('answer').textContent).toBe('Hello!'));
    expect(screen.getByTestId('answer-stats').textContent).toMatch(/first token/);

    // Collapsible: the summary toggles the block.
    const wasOpen = reasoning.open;
    fireEvent.click(reasoning.querySelector('summary'));
    expect(reasoning.open).toBe(!wasOpen);

    await act(async () => {
      stream.push(`data: ${JSON.stringify({ choices: [], usage: { prompt_tokens: 9, completion_tokens: 5 } })}\n\n`);
      stream.push('data: [DONE]\n\n');
      stream.end();
    });
    await waitFor(() => expect(screen.getByTestId('answer-stats').textContent).toMatch(/tokens\/s · 5 tokens/));
    expect(screen.getByTestId('send-button')).toBeTruthy();
    expect(screen.queryByTestId('stop-button')).toBeNull();
  });

  it('Stop aborts the request and keeps what came so far', async () => {
    const calls = mockChatFetch();
    await startChat('Write a long story');
    await waitFor(() => expect(calls).toHaveLength(1));
    const { init, stream } = calls[0];
    await act(async () => stream.push(chunk({ content: 'Once upon' })));
    await waitFor(() => expect(screen.getByTestId('answer').textContent).toBe('Once upon'));
    expect(init.signal.aborted).toBe(false);
    fireEvent.click(screen.getByRole('button', { name: 'Stop' }));
    expect(init.signal.aborted).toBe(true);
    await screen.findByText('Stopped.');
    expect(screen.getByTestId('answer').textContent).toBe('Once upon');
    expect(screen.getByRole('button', { name: 'Send' })).toBeTruthy();
  });

  it('shows the error message of a failed request', async () => {
    globalThis.fetch = vi.fn(async () => ({
      ok: false,
      status: 404,
      headers: new Headers({ 'content-type': 'application/json' }),
      json: async () => ({ error: { message: 'The model `x` does not exist', type: 'invalid_request_error', code: 'model_not_found' } }),
    }));
    await startChat('hi');
    expect((await screen.findByRole('alert')).textContent).toBe('The model `x` does not exist');
  });
});
