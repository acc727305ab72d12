// Reading a streamed /v1/chat/completions answer (Server-Sent Events over a fetch body).
//
// createChatStreamParser() → { push(text) → ChatEvent[], end() → ChatEvent[] }
//   Text arrives in arbitrary pieces (a line, or a multi-byte character, may be split across reads); push()
//   keeps the unfinished tail and returns the events of the complete SSE events so far. An SSE event ends at a
//   blank line; its `data:` lines are joined by "\n"; comment lines (": keep-alive") and other fields are
//   ignored. Each data payload gives, in order:
//     "[DONE]" (checked before JSON parsing)     → { type: "done" }
//     {"error": {message, type, code}}            → { type: "error", message, errorType, code }
//     choices[0].delta.reasoning_content           → { type: "reasoning", text }
//     choices[0].delta.content                     → { type: "content", text }
//     choices[0].finish_reason                     → { type: "finish", reason }
//     usage (the last chunk with include_usage)   → { type: "usage", usage }
//     a payload that is not JSON                   → { type: "error", message }
//
// readChatStream(body, onEvent) reads a ReadableStream of bytes to its end (decoding UTF-8 across reads) and
// calls onEvent for each event. It rejects with the reader's error (an AbortError after Stop).

export function eventsFromPayload(payload) {
  if (payload === '[DONE]') return [{ type: 'done' }];
  let chunk;
  try {
    chunk = JSON.parse(payload);
  } catch {
    return [{ type: 'error', message: `Unreadable stream data: ${payload.slice(0, 200)}` }];
  }
  if (chunk === null || typeof chunk !== 'object') return [];
  if (chunk.error) {
    const e = chunk.error;
    return [{ type: 'error', message: e.message || String(e), errorType: e.type ?? '', code: e.code ?? '' }];
  }
  const out = [];
  const choice = Array.isArray(chunk.choices) ? chunk.choices[0] : undefined;
  const delta = choice?.delta;
  if (delta) {
    if (typeof delta.reasoning_content === 'string' && delta.reasoning_content !== '')
      out.push({ type: 'reasoning', text: delta.reasoning_content });
    if (typeof delta.content === 'string' && delta.content !== '') out.push({ type: 'content', text: delta.content });
  }
  if (choice?.finish_reason) out.push({ type: 'finish', reason: choice.finish_reason });
  if (chunk.usage) out.push({ type: 'usage', usage: chunk.usage });
  return out;
}

export function createChatStreamParser() {
  let buffer = '';
  let data = [];

  function takeLine(line) {
    if (line.endsWith('\r')) line = line.slice(0, -1);
    if (line === '') {
      if (data.length === 0) return [];
      const payload = data.join('\n');
      data = [];
      return eventsFromPayload(payload);
    }
    if (line.startsWith(':')) return [];
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') data.push(value);
    return [];
  }

  return {
    push(text) {
      buffer += text;
      const out = [];
      let nl;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        out.push(...takeLine(line));
      }
      return out;
    },
    // The stream ended: a last event not followed by a blank line still counts.
    end() {
      const out = [];
      if (buffer !== '') out.push(...takeLine(buffer));
      buffer = '';
      out.push(...takeLine(''));
      return out;
    },
  };
}

export async function readChatStream(body, onEvent) {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const parser = createChatStreamParser();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    const text = typeof value === 'string' ? value : decoder.decode(value, { stream: true });
    for (const ev of parser.push(text)) onEvent(ev);
  }
  for (const ev of parser.push(decoder.decode())) onEvent(ev);
  for (const ev of parser.end()) onEvent(ev);
}
