// Tokens per second "now": completion tokens generated in the last `windowMs`, divided by the window.
// Each request record's completion tokens are spread evenly over its generation time — from its first token
// (end − duration + ttft, or the start when ttft is unknown) to its end — and only the part that falls inside
// [now − windowMs, now] counts. So a long request that ended just now adds only its last seconds' tokens.

export const TPS_WINDOW_MS = 10_000;

export function tokensPerSecond(records, now, windowMs = TPS_WINDOW_MS) {
  const from = now - windowMs;
  let tokens = 0;
  for (const r of records ?? []) {
    if (!r || !r.completion_tokens || r.at < from) continue;
    const end = r.at;
    const start = end - (r.duration_ms ?? 0) + (r.ttft_ms ?? 0);
    const span = end - start;
    if (span <= 0) {
      if (end >= from && end <= now) tokens += r.completion_tokens;
      continue;
    }
    const overlap = Math.min(end, now) - Math.max(start, from);
    if (overlap > 0) tokens += (r.completion_tokens * overlap) / span;
  }
  return tokens / (windowMs / 1000);
}

// Per answer in the Playground: tokens per second after the first token.
export function answerRate(completionTokens, firstTokenAt, endAt) {
  if (!completionTokens || firstTokenAt == null || endAt == null) return null;
  const s = (endAt - firstTokenAt) / 1000;
  if (s <= 0) return null;
  return completionTokens / s;
}
