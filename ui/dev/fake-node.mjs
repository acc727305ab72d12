// A stand-in for the node's UI API, to develop and look at the UI without a node (no build of C++ needed):
//   npm run build && node dev/fake-node.mjs [--empty] [--port 32769]
// Serves dist/ (token "dev-token" written into index.html), /api/ui/events (a snapshot, then a finished
// request every 3 s), the /api/ui/* writes (token checked; engine name "bad" answers an error; cluster changes
// answer restarting:true, end the streams and come back with the new state), and a streamed
// /v1/chat/completions with reasoning. Not part of the product; loopback only.
import http from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { emptySnapshot, fullSnapshot } from '../src/test/fixtures.js';

const args = process.argv.slice(2);
const port = Number(args[args.indexOf('--port') + 1]) || 32769;
const TOKEN = 'dev-token';
const dist = fileURLToPath(new URL('../dist/', import.meta.url));
const state = args.includes('--empty') ? emptySnapshot() : fullSnapshot();
const streams = new Set();
let eventId = state.version;
let restarting = false;

const send = (res, event, data) => res.write(`id: ${++eventId}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
const broadcast = (event, data) => streams.forEach((res) => send(res, event, data));
const json = (res, status, body, headers = {}) => {
  res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
};
const fail = (res, status, message, code = '') =>
  json(res, status, { error: { message, type: 'invalid_request_error', code } });

function restart(change) {
  broadcast('restarting', { reason: 'cluster change' });
  restarting = true;
  streams.forEach((res) => res.end());
  streams.clear();
  setTimeout(() => { change(); restarting = false; }, 1500);
}

if (!args.includes('--empty')) setInterval(() => {
  const recent = state.requests.recent;
  const record = { ...(recent[0] ?? fullSnapshot().requests.recent[0]), at: Date.now(), request_id: `req-${eventId}`,
    completion_tokens: 80 + Math.floor(Math.random() * 80) };
  state.requests.recent = [record, ...recent].slice(0, 50);
  broadcast('request', { record, in_flight: state.requests.in_flight });
}, 3000);

async function readBody(req) {
  let text = '';
  for await (const c of req) text += c;
  try { return JSON.parse(text || '{}'); } catch { return null; }
}

const writes = {
  '/api/ui/node': (b) => {
    state.node.name = b.name; state.nodes[0].name = b.name; state.settings.name = b.name;
    broadcast('node', state.node); broadcast('nodes', state.nodes);
  },
  '/api/ui/settings': (b) => {
    state.settings.models_dir = b.models_dir; state.models_folder.path = b.models_dir;
    broadcast('settings', state.settings);
  },
  '/api/ui/engines/add': (b) => {
    if (b.name === 'bad') throw new Error(`The engine at ${b.url} did not answer`);
    state.engines = [...state.engines, { name: b.name, type: b.type ?? 'openai', location: b.url, autodetected: false,
      up: true, last_error: '', models: [], removable: true }];
    broadcast('engines', state.engines);
  },
  '/api/ui/engines/remove': (b) => { state.engines = state.engines.filter((e) => e.name !== b.name); broadcast('engines', state.engines); },
  '/api/ui/models/load': (b) => setLoaded(b.id, true),
  '/api/ui/models/unload': (b) => setLoaded(b.id, false),
  '/api/ui/cluster/token': () => ({ token: 'qj1.c-7f3a9b21e04d.9Vh2c0Zr4kLxQm8sT1bYwE5uN6aP3dFgHjK7' }),
  '/api/ui/cluster/init': () => { restart(() => { state.cluster = { id: 'c-new0000', fingerprint: 'SHA256:00:11' }; }); return { ok: true, restarting: true }; },
  '/api/ui/cluster/join': () => { restart(() => { state.cluster = { id: 'c-joined00', fingerprint: 'SHA256:22:33' }; }); return { ok: true, restarting: true }; },
  '/api/ui/cluster/leave': () => { restart(() => { state.cluster = null; state.nodes = state.nodes.slice(0, 1); }); return { ok: true, restarting: true }; },
  '/api/ui/relay/join': (b) => { state.relay = { url: b.url, state: 'connecting', cluster_id: '', node_id: '', last_error: '' }; broadcast('relay', state.relay); },
  '/api/ui/relay/leave': () => { state.relay = null; broadcast('relay', null); },
};

function setLoaded(id, loaded) {
  const m = state.models.find((x) => x.id === id);
  if (!m) throw new Error(`No model ${id}`);
  m.loaded = loaded;
  m.nodes = m.nodes.map((n) => (n.id === state.node.id ? { ...n, loaded } : n));
  broadcast('models', state.models);
}

async function chat(req, res) {
  const body = await readBody(req);
  res.writeHead(200, { 'Content-Type': 'text/event-stream', 'x-quorum-node': 'laptop', 'x-quorum-node-id': 'n-laptop-0002' });
  const chunk = (delta) => `data: ${JSON.stringify({ choices: [{ index: 0, delta, finish_reason: null }] })}\n\n`;
  const reasoning = 'The user greets me. I should answer briefly and kindly.'.split(/(?= )/);
  const answer = `Hello! You asked: "${body?.messages?.at(-1)?.content ?? ''}". This is the fake node answering with ${body?.model}.`.split(/(?= )/);
  let closed = false;
  req.on('close', () => { closed = true; });
  const pieces = [...reasoning.map((t) => chunk({ reasoning_content: t })), ...answer.map((t) => chunk({ content: t }))];
  for (const p of pieces) {
    if (closed) return;
    res.write(p);
    await new Promise((r) => setTimeout(r, 60));
  }
  res.write(`data: ${JSON.stringify({ choices: [], usage: { prompt_tokens: 12, completion_tokens: pieces.length, total_tokens: 12 + pieces.length } })}\n\n`);
  res.end('data: [DONE]\n\n');
}

const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml' };

http.createServer(async (req, res) => {
  const url = new URL(req.url, 'http://localhost');
  if (url.pathname === '/api/ui/events') {
    if (restarting) { res.writeHead(503); return res.end(); }
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store' });
    send(res, 'snapshot', { ...state, version: eventId });
    streams.add(res);
    req.on('close', () => streams.delete(res));
    return;
  }
  if (url.pathname === '/api/ui/snapshot') return json(res, 200, { ...state, version: eventId });
  if (req.method === 'POST' && url.pathname === '/v1/chat/completions') return chat(req, res);
  if (req.method === 'POST' && writes[url.pathname]) {
    if (req.headers['x-quorum-ui-token'] !== TOKEN) return fail(res, 403, 'Missing or wrong UI token', 'ui_token');
    const body = await readBody(req);
    if (!body) return fail(res, 400, 'The body is not JSON');
    try {
      return json(res, 200, { ok: true, ...(writes[url.pathname](body) ?? {}) });
    } catch (e) {
      return fail(res, 400, e.message);
    }
  }
  const file = url.pathname === '/' ? 'index.html' : normalize(url.pathname).replace(/^\/+/, '');
  if (file.startsWith('..')) { res.writeHead(404); return res.end(); }
  try {
    let data = await readFile(join(dist, file));
    if (file === 'index.html') data = data.toString().replace('__QUORUM_UI_TOKEN__', TOKEN);
    res.writeHead(200, { 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream' });
    res.end(data);
  } catch {
    res.writeHead(404); res.end('not found');
  }
}).listen(port, '127.0.0.1', () => console.log(`fake node UI on http://127.0.0.1:${port}/`));
