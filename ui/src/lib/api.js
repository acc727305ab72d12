// Writes to the node: POST JSON to /api/ui/… with the per-launch token from
// <meta name="quorum-ui-token"> (docs/ui-api.md). Resolves to the answer's JSON; rejects with an Error whose
// message is the node's {"error":{"message"}} (meant for a person), or a description of what went wrong.

export function uiToken(doc = document) {
  return doc.querySelector('meta[name="quorum-ui-token"]')?.getAttribute('content') ?? '';
}

// The message of an OpenAI-shaped error body, or a fallback naming the HTTP status (and who answered it).
export function errorMessage(body, status, who = 'node') {
  const m = body?.error?.message;
  if (typeof m === 'string' && m) return m;
  return `The ${who} answered HTTP ${status}`;
}

export async function postUi(path, body = {}) {
  let res;
  try {
    res = await fetch(path, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Quorum-UI-Token': uiToken() },
      body: JSON.stringify(body),
    });
  } catch {
    throw new Error('Could not reach the node');
  }
  let json = null;
  try {
    json = await res.json();
  } catch {
    json = null;
  }
  if (!res.ok) throw new Error(errorMessage(json, res.status));
  return json ?? { ok: true };
}
