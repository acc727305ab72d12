// Delay before reopening the event stream after the browser gave up on it: doubling from 1 s up to 30 s, with
// jitter (half to all of the step) so that many tabs do not come back at once. `random` is for tests.
export const BACKOFF_BASE_MS = 1000;
export const BACKOFF_CAP_MS = 30_000;

export function backoffMs(attempt, random = Math.random) {
  const step = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** Math.max(0, attempt));
  return Math.round(step * (0.5 + random() / 2));
}
