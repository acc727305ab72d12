// A response body a test feeds piece by piece, that fails with an AbortError when its signal aborts
// (as fetch's body does after AbortController.abort()).
export function controlledBody(signal) {
  const enc = new TextEncoder();
  const queue = [];
  let waiting = null;
  let ended = false;
  let failure = null;
  const settle = () => {
    if (!waiting) return;
    const w = waiting;
    if (failure) {
      waiting = null;
      w.reject(failure);
    } else if (queue.length) {
      waiting = null;
      w.resolve({ done: false, value: queue.shift() });
    } else if (ended) {
      waiting = null;
      w.resolve({ done: true, value: undefined });
    }
  };
  signal?.addEventListener('abort', () => {
    failure = new DOMException('The operation was aborted.', 'AbortError');
    settle();
  });
  return {
    body: {
      getReader: () => ({
        read: () =>
          new Promise((resolve, reject) => {
            waiting = { resolve, reject };
            settle();
          }),
      }),
    },
    push(text) {
      queue.push(enc.encode(text));
      settle();
    },
    end() {
      ended = true;
      settle();
    },
  };
}
