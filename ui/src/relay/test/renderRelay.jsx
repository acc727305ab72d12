// Renders the relay dashboard (RelayApp) at a hash route with a fake EventSource and a fake fetch that answers
// from `routes`: { "GET /api/me": (init) => [status, json] | json, … } (a bare json means 200; a missing route
// answers 404). fetch.mock.calls keeps what the page sent.
import { render } from '@testing-library/react';
import { vi } from 'vitest';
import RelayApp from '../RelayApp.jsx';
import { FakeEventSource } from '../../test/fakeEventSource.js';

export function fakeFetch(routes) {
  return vi.fn(async (url, init = {}) => {
    const path = String(url).split('?')[0];
    const handler = routes[`${init.method ?? 'GET'} ${path}`];
    let status = 404;
    let body = { error: { message: `no route ${path}`, type: 'invalid_request_error', code: 'not_found' } };
    if (handler) {
      const out = await handler(init);
      [status, body] = Array.isArray(out) ? out : [200, out];
    }
    return { ok: status < 400, status, json: async () => (body === undefined ? null : body) };
  });
}

export const signedOut = () => [401, { error: { message: 'Sign in to continue', type: 'authentication_error', code: 'signed_out' } }];

export function renderRelay(hash, routes) {
  FakeEventSource.install();
  globalThis.fetch = fakeFetch(routes);
  window.location.hash = hash;
  const view = render(<RelayApp />);
  return { ...view, sources: FakeEventSource.instances };
}

// The body of the n-th call of fetch to `method path`, parsed.
export function sent(method, path, n = 0) {
  const calls = fetch.mock.calls.filter(([u, i = {}]) => String(u).split('?')[0] === path && (i.method ?? 'GET') === method);
  return calls[n];
}
