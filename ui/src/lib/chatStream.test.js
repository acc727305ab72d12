import { describe, expect, it } from 'vitest';
import { createChatStreamParser, readChatStream } from './chatStream.js';

const data = (obj) => `data: ${typeof obj === 'string' ? obj : JSON.stringify(obj)}\n\n`;
const delta = (d) => data({ choices: [{ index: 0, delta: d, finish_reason: null }] });

function bodyOf(pieces) {
  const enc = new TextEncoder();
  let i = 0;
  return {
    getReader: () => ({
      read: async () => (i < pieces.length ? { done: false, value: enc.encode(pieces[i++]) } : { done: true }),
    }),
  };
}

describe('chat stream parser', () => {
  it('tells reasoning deltas from content deltas, then finish, usage and [DONE]', () => {
    const p = createChatStreamParser();
    const text =
      ': keep-alive\n\n' +
      delta({ role: 'assistant', reasoning_content: 'Think' }) +
      delta({ reasoning_content: 'ing.' }) +
      delta({ content: 'Hel' }) +
      delta({ content: 'lo' }) +
      data({ choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] }) +
      data({ choices: [], usage: { prompt_tokens: 5, completion_tokens: 4, total_tokens: 9 } }) +
      data('[DONE]');
    expect(p.push(text)).toEqual([
      { type: 'reasoning', text: 'Think' },
      { type: 'reasoning', text: 'ing.' },
      { type: 'content', text: 'Hel' },
      { type: 'content', text: 'lo' },
      { type: 'finish', reason: 'stop' },
      { type: 'usage', usage: { prompt_tokens: 5, completion_tokens: 4, total_tokens: 9 } },
      { type: 'done' },
    ]);
  });

  it('keeps a line split across reads until it is complete (CRLF too)', () => {
    const p = createChatStreamParser();
    const line = delta({ content: 'split here' }).replace(/\n/g, '\r\n');
    const cut = 17;
    expect(p.push(line.slice(0, cut))).toEqual([]);
    expect(p.push(line.slice(cut, -2))).toEqual([]);
    expect(p.push(line.slice(-2))).toEqual([{ type: 'content', text: 'split here' }]);
  });

  it('reports an error chunk with its message', () => {
    const p = createChatStreamParser();
    const evs = p.push(data({ error: { message: 'The model ran out of memory', type: 'server_error', code: 'oom' } }));
    expect(evs).toEqual([{ type: 'error', message: 'The model ran out of memory', errorType: 'server_error', code: 'oom' }]);
  });

  it('checks [DONE] before JSON and flags data that is not JSON', () => {
    const p = createChatStreamParser();
    expect(p.push('data: [DONE]\n\n')).toEqual([{ type: 'done' }]);
    expect(p.push('data: {oops\n\n')[0].type).toBe('error');
  });

  it('counts a last event that the stream ended without a blank line', () => {
    const p = createChatStreamParser();
    expect(p.push('data: [DONE]')).toEqual([]);
    expect(p.end()).toEqual([{ type: 'done' }]);
  });

  it('readChatStream decodes UTF-8 split across reads', async () => {
    const whole = delta({ content: 'héllo — ✓' }) + data('[DONE]');
    const bytes = new TextEncoder().encode(whole);
    const cut = new TextEncoder().encode(whole.slice(0, whole.indexOf('—'))).length + 1; // inside '—'
    const dec = new TextDecoder();
    const pieces = [bytes.slice(0, cut), bytes.slice(cut)];
    let i = 0;
    const body = { getReader: () => ({ read: async () => (i < 2 ? { done: false, value: pieces[i++] } : { done: true }) }) };
    const events = [];
    await readChatStream(body, (e) => events.push(e));
    expect(dec.decode(bytes)).toBe(whole);
    expect(events).toEqual([{ type: 'content', text: 'héllo — ✓' }, { type: 'done' }]);
  });

  it('readChatStream works over many small reads', async () => {
    const whole = delta({ reasoning_content: 'r' }) + delta({ content: 'c' }) + data('[DONE]');
    const pieces = whole.match(/.{1,3}/gs);
    const events = [];
    await readChatStream(bodyOf(pieces), (e) => events.push(e));
    expect(events.map((e) => e.type)).toEqual(['reasoning', 'content', 'done']);
  });
});
