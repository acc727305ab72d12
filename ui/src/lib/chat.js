// One Playground answer: POST /v1/chat/completions with stream:true (and usage in the last chunk), read the
// SSE body with lib/chatStream.js, and report progress through onUpdate(patch):
//   { servedBy, servedById }              when the response headers arrive (x-quorum-node, x-quorum-node-id)
//   { reasoning, content, ttftMs }        as deltas arrive (whole text so far; ttftMs once, at the first delta)
//   { usage, tps, status: "done" }        at the end
//   { status: "stopped", tps }            when `signal` aborted (Stop); tps counts the deltas received
//   { status: "error", error }            on an HTTP error (its {"error":{"message"}}), an error chunk, or a
//                                         network failure
// `clock` (ms) is injectable for tests.
import { readChatStream } from './chatStream.js';
import { errorMessage } from './api.js';
import { answerRate } from './stats.js';

export function buildChatRequest({ model, system, history, temperature, maxTokens }) {
  const messages = [];
  if (system && system.trim()) messages.push({ role: 'system', content: system });
  for (const m of history) messages.push({ role: m.role, content: m.content });
  const body = { model, messages, stream: true, stream_options: { include_usage: true } };
  if (temperature !== '' && temperature != null && Number.isFinite(Number(temperature)))
    body.temperature = Number(temperature);
  if (maxTokens !== '' && maxTokens != null && Number(maxTokens) > 0) body.max_tokens = Math.floor(Number(maxTokens));
  return body;
}

export async function streamChat(body, { signal, onUpdate, clock = () => performance.now() }) {
  const started = clock();
  let firstAt = null;
  let content = '';
  let reasoning = '';
  let deltas = 0;
  let usage = null;
  let failure = null;
  const stoppedOrError = (e) =>
    e?.name === 'AbortError' || signal?.aborted
      ? onUpdate({ status: 'stopped', tps: answerRate(deltas, firstAt, clock()) })
      : onUpdate({ status: 'error', error: e?.message || 'The request failed' });
  let res;
  try {
    res = await fetch('/v1/chat/completions', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
      signal,
    });
  } catch (e) {
    stoppedOrError(e.name === 'AbortError' ? e : new Error('Could not reach the node'));
    return;
  }
  const servedBy = res.headers.get('x-quorum-node');
  const servedById = res.headers.get('x-quorum-node-id');
  if (servedBy || servedById) onUpdate({ servedBy, servedById });
  if (!res.ok) {
    let json = null;
    try {
      json = await res.json();
    } catch {
      json = null;
    }
    onUpdate({ status: 'error', error: errorMessage(json, res.status) });
    return;
  }
  try {
    await readChatStream(res.body, (ev) => {
      if (ev.type === 'reasoning' || ev.type === 'content') {
        deltas++;
        const patch = {};
        if (firstAt == null) {
          firstAt = clock();
          patch.ttftMs = firstAt - started;
        }
        if (ev.type === 'reasoning') patch.reasoning = reasoning += ev.text;
        else patch.content = content += ev.text;
        onUpdate(patch);
      } else if (ev.type === 'usage') {
        usage = ev.usage;
      } else if (ev.type === 'error') {
        failure = ev.message;
      }
    });
  } catch (e) {
    stoppedOrError(e);
    return;
  }
  const tokens = usage?.completion_tokens ?? deltas;
  const tps = answerRate(tokens, firstAt, clock());
  if (failure) onUpdate({ status: 'error', error: failure, usage, tps });
  else onUpdate({ status: 'done', usage, tps });
}
