import { describe, expect, it } from 'vitest';
import { formatAgo, formatBytes, formatDuration, formatRate } from './format.js';
import { answerRate, tokensPerSecond } from './stats.js';
import { routeFromHash } from './hashRoute.js';
import { errorMessage } from './api.js';
import { buildChatRequest } from './chat.js';

describe('formatting', () => {
  it('formats sizes, durations, ages and rates', () => {
    expect(formatBytes(null)).toBe('—');
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(491_400_032)).toBe('469 MB');
    expect(formatBytes(4.2 * 1024 ** 3)).toBe('4.2 GB');
    expect(formatDuration(180)).toBe('180 ms');
    expect(formatDuration(2400)).toBe('2.40 s');
    expect(formatDuration(125_000)).toBe('2 min 5 s');
    expect(formatAgo(500)).toBe('just now');
    expect(formatAgo(95_000)).toBe('1 min ago');
    expect(formatRate(37.14)).toBe('37.1');
    expect(formatRate(null)).toBe('—');
  });
});

describe('tokens per second now', () => {
  const now = 100_000;
  it('spreads each record over its generation time and counts what falls in the last 10 s', () => {
    // 100 tokens generated from 95 s to 100 s: all inside the window → 10 tokens/s.
    expect(tokensPerSecond([{ at: now, duration_ms: 5200, ttft_ms: 200, completion_tokens: 100 }], now)).toBeCloseTo(10);
    // 400 tokens over 40 s ending now: only the last 10 s (100 tokens) count.
    expect(tokensPerSecond([{ at: now, duration_ms: 40_000, ttft_ms: 0, completion_tokens: 400 }], now)).toBeCloseTo(10);
    // Older than the window: nothing.
    expect(tokensPerSecond([{ at: now - 11_000, duration_ms: 1000, ttft_ms: 0, completion_tokens: 50 }], now)).toBe(0);
    expect(tokensPerSecond([], now)).toBe(0);
  });
  it('answer rate is tokens over the time after the first token', () => {
    expect(answerRate(50, 1000, 3000)).toBe(25);
    expect(answerRate(0, 1000, 3000)).toBeNull();
  });
});

describe('small helpers', () => {
  it('routes hashes, defaulting to the dashboard', () => {
    expect(routeFromHash('')).toBe('/');
    expect(routeFromHash('#/nodes')).toBe('/nodes');
    expect(routeFromHash('#/nope')).toBe('/');
  });
  it('reads the API error message, or names the status', () => {
    expect(errorMessage({ error: { message: 'No such engine' } }, 404)).toBe('No such engine');
    expect(errorMessage(null, 502)).toBe('The node answered HTTP 502');
  });
  it('builds the chat request with streaming usage and optional parameters', () => {
    const body = buildChatRequest({
      model: 'm', system: 'Be brief', history: [{ role: 'user', content: 'hi' }], temperature: '0.2', maxTokens: '64',
    });
    expect(body).toEqual({
      model: 'm', stream: true, stream_options: { include_usage: true }, temperature: 0.2, max_tokens: 64,
      messages: [{ role: 'system', content: 'Be brief' }, { role: 'user', content: 'hi' }],
    });
    expect(buildChatRequest({ model: 'm', system: ' ', history: [], temperature: '', maxTokens: '' })).toEqual({
      model: 'm', stream: true, stream_options: { include_usage: true }, messages: [],
    });
  });
});

describe('formatting for the relay dashboard', () => {
  it('formats Unix-second times and counts', async () => {
    const { formatCount, formatDateTime } = await import('./format.js');
    expect(formatDateTime(null)).toBe('—');
    expect(formatDateTime(1_764_547_200)).toContain('2025');
    expect(formatCount(1234567.4)).toBe('1,234,567');
    expect(formatCount(undefined)).toBe('—');
    expect(errorMessage(null, 502, 'relay')).toBe('The relay answered HTTP 502');
    expect(errorMessage(null, 502)).toBe('The node answered HTTP 502');
  });
});
