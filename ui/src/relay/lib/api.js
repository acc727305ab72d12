// The dashboard's calls to the relay's /api (the session is a cookie: HttpOnly, SameSite=Strict, sent by the
// browser on same-origin requests). Mutations send JSON with Content-Type: application/json (the browser adds
// Origin): the relay's CSRF rule. A 401 with code "signed_out", from any call, runs the handler set with
// onSignedOut (the app goes back to sign-in) before the call rejects.
import { errorMessage } from '../../lib/api.js';

let signedOut = null;

// Sets the one handler of "the session is gone"; returns a function that unsets it.
export function onSignedOut(fn) {
  signedOut = fn;
  return () => {
    if (signedOut === fn) signedOut = null;
  };
}

export class ApiError extends Error {
  constructor(message, status, code = '') {
    super(message);
    this.status = status;
    this.code = code;
  }
}

// method, path, and a body (sent as JSON; none for GET and a DELETE without one). Resolves to the answer's
// JSON (null for 204); rejects with an ApiError whose message is the relay's error.message.
export async function api(method, path, body) {
  const init = { method, credentials: 'same-origin', headers: { Accept: 'application/json' } };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(path, init);
  } catch {
    throw new ApiError('Could not reach the relay', 0, 'unreachable');
  }
  let json = null;
  if (res.status !== 204) {
    try {
      json = await res.json();
    } catch {
      json = null;
    }
  }
  if (!res.ok) {
    const code = json?.error?.code ?? '';
    if (res.status === 401 && code === 'signed_out') signedOut?.();
    throw new ApiError(errorMessage(json, res.status, 'relay'), res.status, code);
  }
  return json;
}

export const get = (path) => api('GET', path);
