// A stand-in for quorum-relay's dashboard API, to develop and test the dashboard without the C++ relay:
//   npm run build && node dev/fake-relay.mjs [--port 32780]
// It serves dist/relay.html at "/" (and at any path outside /api, /assets, /_fake) and dist/assets/*, and
// implements the dashboard contract in memory: users alice@example.com (owner), carol@example.com (admin) and
// bob@example.com (viewer), all with password "password123"; one cluster "Team lab" with two nodes, keys,
// usage, audit, members and an invite; the session cookie, the CSRF rule (JSON + same Origin) and 401
// signed_out; GET /api/clusters/{id}/events (a snapshot, then events; ": ka" every 15 s).
// Controls for tests (loopback, no session, no CSRF check):
//   POST /_fake/node/{id}/offline | /online   a node goes offline / comes back (a `node` event)
//   POST /_fake/usage {key_id,node_id,model,requests,prompt_tokens,completion_tokens}   today's usage grows
//   POST /_fake/drop-streams                    ends every event stream (the page reconnects)
//   POST /_fake/sign-in-link {email}            → {url}: a one-time sign-in link
// and GET /v1/models, POST /v1/chat/completions (not streamed; a canned answer from the first online node with
// the model, counted in usage at once) with `Authorization: Bearer qk_…` (a key created here: 200 while active,
// 401 once revoked), so that a test can use a key the way a client would.
// Also importable: startFakeRelay({port, host, dist}) → {url, close()} (tests/integration uses it).
// Not part of the product; loopback only; passwords kept in plain text because nothing here is real.
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CLUSTER_ID, auditEntries, clusterSnapshot, usageRows } from '../src/relay/test/fixtures.js';

const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml' };
const RANK = { viewer: 0, admin: 1, owner: 2 };
const COOKIE = 'quorum_session';

const nowS = () => Math.floor(Date.now() / 1000);
const token = (prefix) => `${prefix}${randomBytes(18).toString('base64url')}`;
const hex = (n) => randomBytes(n).toString('hex');

function makeState() {
  const snap = clusterSnapshot();
  const users = new Map();
  const addUser = (id, email, password, operator = false) => users.set(email, { id, email, password, operator, created_at: nowS() });
  addUser('u-alice', 'alice@example.com', 'password123');
  addUser('u-bob', 'bob@example.com', 'password123');
  addUser('u-carol', 'carol@example.com', 'password123');
  const invites = new Map(snap.invites.map((i) => [token('qi_'), i]));
  return {
    users,
    sessions: new Map(), // cookie value → email
    links: new Map(), // sign-in link token → { email, expires }
    cluster: { ...snap.cluster },
    nodes: snap.nodes,
    keys: snap.keys,
    members: snap.members, // { user_id, email, role }
    invites, // token → invite
    usage: usageRows(),
    audit: auditEntries(),
    nextAudit: 4,
    secrets: new Map(), // full key → key id
  };
}

export async function startFakeRelay({ port = 0, host = '127.0.0.1', dist } = {}) {
  const distDir = dist ?? fileURLToPath(new URL('../dist/', import.meta.url));
  const s = makeState();
  const streams = new Set(); // { res, email }

  const json = (res, status, body, headers = {}) => {
    res.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', ...headers });
    res.end(body === undefined ? undefined : JSON.stringify(body));
  };
  const fail = (res, status, code, message) =>
    json(res, status, { error: { message, type: status === 401 ? 'authentication_error' : 'invalid_request_error', code } });

  const roleOf = (email) => {
    const u = s.users.get(email);
    if (u?.operator) return 'owner';
    return s.members.find((m) => m.email === email)?.role ?? null;
  };
  const models = () => {
    const by = new Map();
    for (const n of s.nodes) {
      for (const m of n.models) {
        const e = by.get(m.id) ?? { id: m.id, nodes: [], loaded_on: [] };
        e.nodes.push(n.id);
        if (m.loaded) e.loaded_on.push(n.id);
        by.set(m.id, e);
      }
    }
    return [...by.values()].sort((a, b) => a.id.localeCompare(b.id));
  };
  const publicInvite = ([, i]) => i;
  const snapshotFor = (email) => {
    const role = roleOf(email);
    return {
      cluster: s.cluster, role, nodes: s.nodes, models: models(), keys: s.keys, members: s.members,
      invites: RANK[role] >= RANK.admin ? [...s.invites.entries()].map(publicInvite) : [],
    };
  };
  const send = (res, event, data) => res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  const broadcast = (event, data, minRole = 'viewer') => {
    for (const st of streams) if (RANK[roleOf(st.email)] >= RANK[minRole]) send(st.res, event, data);
  };
  const audit = (actor, action, object, detail = {}) => {
    const entry = { id: s.nextAudit++, at: nowS(), actor, action, object, detail };
    s.audit.unshift(entry);
    broadcast('audit', entry);
  };
  const addUsage = (delta) => {
    const day = new Date().toISOString().slice(0, 10);
    const d = { day, key_id: '', node_id: '', model: '', requests: 0, failed: 0, prompt_tokens: 0, completion_tokens: 0, ...delta };
    const row = s.usage.find((r) => r.day === d.day && r.key_id === d.key_id && r.node_id === d.node_id && r.model === d.model);
    if (row) for (const c of ['requests', 'failed', 'prompt_tokens', 'completion_tokens']) row[c] += d[c];
    else s.usage.push({ ...d });
    broadcast('usage', d);
  };

  const cookieOf = (req) => {
    const m = (req.headers.cookie ?? '').match(new RegExp(`(?:^|;\\s*)${COOKIE}=([^;]+)`));
    return m ? m[1] : null;
  };
  const sessionEmail = (req) => s.sessions.get(cookieOf(req)) ?? null;
  const newSession = (email) => {
    const value = randomBytes(32).toString('base64url');
    s.sessions.set(value, email);
    return `${COOKIE}=${value}; HttpOnly; SameSite=Strict; Path=/; Max-Age=2592000`;
  };
  const origin = (req) => `http://${req.headers.host}`;
  const csrfOk = (req, hasBody) => {
    if (hasBody && !(req.headers['content-type'] ?? '').startsWith('application/json')) return false;
    const o = req.headers.origin;
    if (o) return o === origin(req);
    return req.headers['sec-fetch-site'] === 'same-origin';
  };
  const readBody = async (req) => {
    let text = '';
    for await (const c of req) text += c;
    if (!text) return { text, body: {} };
    try {
      return { text, body: JSON.parse(text) };
    } catch {
      return { text, body: null };
    }
  };
  const userJson = (u) => ({ id: u.id, email: u.email, operator: u.operator });

  async function controls(req, res, path) {
    const { body } = await readBody(req);
    const node = path.match(/^\/_fake\/node\/([^/]+)\/(offline|online)$/);
    if (node) {
      const n = s.nodes.find((x) => x.id === node[1]);
      if (!n) return fail(res, 404, 'not_found', 'no such node');
      n.online = node[2] === 'online';
      n.since = nowS();
      if (!n.online) n.load = { running: 0, queued: 0 };
      broadcast('node', n);
      return json(res, 200, n);
    }
    if (path === '/_fake/usage') {
      addUsage(body ?? {});
      return json(res, 200, { ok: true });
    }
    if (path === '/_fake/drop-streams') {
      for (const st of streams) st.res.end();
      streams.clear();
      return json(res, 200, { ok: true });
    }
    if (path === '/_fake/sign-in-link') {
      const t = token('qs_');
      s.links.set(t, { email: body?.email, expires: Date.now() + 15 * 60_000 });
      return json(res, 200, { url: `${origin(req)}/api/session/link?token=${t}` });
    }
    return fail(res, 404, 'not_found', 'no such control');
  }

  async function clusterApi(req, res, email, rest) {
    const role = roleOf(email);
    if (!role) return fail(res, 404, 'not_found', 'No such cluster');
    const method = req.method;
    const admin = RANK[role] >= RANK.admin;
    const owner = role === 'owner';
    if (method === 'GET' && rest === '') return json(res, 200, snapshotFor(email));
    if (method === 'GET' && rest === '/events') {
      res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', 'X-Accel-Buffering': 'no' });
      send(res, 'snapshot', snapshotFor(email));
      const st = { res, email };
      streams.add(st);
      const ka = setInterval(() => res.write(': ka\n\n'), 15_000);
      req.on('close', () => {
        clearInterval(ka);
        streams.delete(st);
      });
      return undefined;
    }
    if (method === 'GET' && rest === '/usage') {
      const q = new URL(req.url, 'http://x').searchParams;
      const from = q.get('from') ?? '0000-00-00';
      const to = q.get('to') ?? '9999-99-99';
      return json(res, 200, { data: s.usage.filter((r) => r.day >= from && r.day <= to) });
    }
    if (method === 'GET' && rest === '/audit') {
      const limit = Number(new URL(req.url, 'http://x').searchParams.get('limit')) || 100;
      return json(res, 200, { data: s.audit.slice(0, limit) });
    }
    const mutation = method === 'POST' || method === 'PATCH' || method === 'DELETE';
    if (!mutation) return fail(res, 404, 'not_found', 'No such route');
    const { text, body } = await readBody(req);
    if (!csrfOk(req, text !== '')) return fail(res, 403, 'csrf_refused', 'Cross-site request refused');
    if (body === null) return fail(res, 400, 'invalid_json', 'The body is not JSON');
    const self = s.users.get(email);
    const member = rest.match(/^\/members\/([^/]+)$/);
    const leaving = member && method === 'DELETE' && member[1] === self.id;
    if (!admin && !leaving) return fail(res, 403, 'forbidden', 'Your role cannot do this');

    if (method === 'POST' && rest === '/keys') {
      if (!body.name || typeof body.name !== 'string') return fail(res, 400, 'invalid_name', 'A key needs a name');
      const id = `k-${hex(4)}`;
      const key = {
        id, name: body.name, models: body.models ?? [],
        limits: { rpm: body.rpm ?? null, tpm: body.tpm ?? null, max_parallel: body.max_parallel ?? null },
        expires_at: body.expires_at ?? null, created_at: nowS(), last_used_at: null, revoked_at: null, state: 'active',
        created_by: email,
      };
      s.keys.unshift(key);
      broadcast('key', key);
      audit(email, 'key.create', id, { name: key.name });
      const full = `qk_${id}_${randomBytes(24).toString('base64url')}`;
      s.secrets.set(full, id);
      return json(res, 200, { id, key: full });
    }
    const keyDel = rest.match(/^\/keys\/([^/]+)$/);
    if (method === 'DELETE' && keyDel) {
      const k = s.keys.find((x) => x.id === keyDel[1]);
      if (!k) return fail(res, 404, 'not_found', 'No such key');
      k.revoked_at = nowS();
      k.state = 'revoked';
      broadcast('key', k);
      audit(email, 'key.revoke', k.id, { name: k.name });
      return json(res, 200, { id: k.id, revoked: true });
    }
    if (method === 'POST' && rest === '/invites') {
      if (!(body.role in RANK) || (body.role === 'owner' && !owner)) return fail(res, 403, 'forbidden', 'You cannot invite with that role');
      const t = token('qi_');
      const inv = { id: `i-${hex(4)}`, role: body.role, email: body.email ?? null, created_at: nowS(),
        expires_at: nowS() + 7 * 86400, created_by: email };
      s.invites.set(t, inv);
      broadcast('invite', inv, 'admin');
      audit(email, 'invite.create', inv.id, { role: inv.role });
      return json(res, 200, { id: inv.id, url: `${origin(req)}/#invite/${t}`, expires_at: inv.expires_at });
    }
    const invDel = rest.match(/^\/invites\/([^/]+)$/);
    if (method === 'DELETE' && invDel) {
      const entry = [...s.invites.entries()].find(([, i]) => i.id === invDel[1]);
      if (!entry) return fail(res, 404, 'not_found', 'No such invite');
      s.invites.delete(entry[0]);
      broadcast('invite', { ...entry[1], removed: true }, 'admin');
      audit(email, 'invite.revoke', entry[1].id);
      res.writeHead(204);
      return res.end();
    }
    if (member) {
      const m = s.members.find((x) => x.user_id === member[1]);
      if (!m) return fail(res, 404, 'not_found', 'No such member');
      if (!owner && !leaving) return fail(res, 403, 'forbidden', 'Only an owner can do this');
      const owners = s.members.filter((x) => x.role === 'owner').length;
      if (method === 'PATCH') {
        if (!(body.role in RANK)) return fail(res, 400, 'invalid_role', 'Unknown role');
        if (m.role === 'owner' && body.role !== 'owner' && owners === 1) return fail(res, 409, 'last_owner', 'The last owner cannot be demoted');
        m.role = body.role;
        broadcast('member', m);
        audit(email, 'member.role', m.email, { role: m.role });
        return json(res, 200, m);
      }
      if (method === 'DELETE') {
        if (m.role === 'owner' && owners === 1) return fail(res, 409, 'last_owner', 'The last owner cannot leave or be removed');
        broadcast('member', { ...m, role: null, removed: true });
        s.members = s.members.filter((x) => x !== m);
        audit(email, 'member.remove', m.email);
        res.writeHead(204);
        return res.end();
      }
    }
    return fail(res, 404, 'not_found', 'No such route');
  }

  async function apiRoute(req, res, path) {
    const method = req.method;
    if (method === 'POST' && path === '/api/session') {
      const { text, body } = await readBody(req);
      if (!csrfOk(req, text !== '')) return fail(res, 403, 'csrf_refused', 'Cross-site request refused');
      const u = s.users.get(String(body?.email ?? '').toLowerCase());
      if (!u || !u.password || u.password !== body?.password) return fail(res, 401, 'invalid_credentials', 'Wrong email or password');
      audit(u.email, 'session.sign_in', u.email);
      return json(res, 200, { user: userJson(u) }, { 'Set-Cookie': newSession(u.email) });
    }
    if (method === 'GET' && path === '/api/session/link') {
      const t = new URL(req.url, 'http://x').searchParams.get('token');
      const link = s.links.get(t);
      s.links.delete(t);
      if (!link || link.expires < Date.now() || !s.users.has(link.email)) {
        res.writeHead(303, { Location: '/#signin?error=link' });
        return res.end();
      }
      res.writeHead(303, { Location: '/', 'Set-Cookie': newSession(link.email) });
      return res.end();
    }
    if (method === 'POST' && path === '/api/invites/accept') {
      const { text, body } = await readBody(req);
      if (!csrfOk(req, text !== '')) return fail(res, 403, 'csrf_refused', 'Cross-site request refused');
      const inv = s.invites.get(body?.token);
      if (!inv) return fail(res, 404, 'invite_unknown', 'This invite was used, revoked or has expired');
      let email = sessionEmail(req);
      let cookie = null;
      if (!email || body.email) {
        email = String(body.email ?? '').trim().toLowerCase();
        if (!email.includes('@')) return fail(res, 400, 'invalid_email', 'An email address is needed');
        const existing = s.users.get(email);
        if (existing) {
          if (existing.password !== body.password) return fail(res, 401, 'invalid_credentials', 'Wrong email or password');
        } else {
          if (String(body.password ?? '').length < 8) return fail(res, 400, 'weak_password', 'The password needs at least 8 characters');
          s.users.set(email, { id: `u-${hex(4)}`, email, password: body.password, operator: false, created_at: nowS() });
        }
        cookie = newSession(email);
      }
      const u = s.users.get(email);
      s.invites.delete(body.token);
      broadcast('invite', { ...inv, accepted_at: nowS() }, 'admin');
      if (!s.members.some((m) => m.user_id === u.id)) {
        const m = { user_id: u.id, email: u.email, role: inv.role };
        s.members.push(m);
        broadcast('member', m);
      }
      audit(email, 'invite.accept', inv.id, { role: inv.role });
      return json(res, 200, { user: userJson(u), cluster_id: s.cluster.id, role: roleOf(email) }, cookie ? { 'Set-Cookie': cookie } : {});
    }
    const email = sessionEmail(req);
    if (!email) return fail(res, 401, 'signed_out', 'Sign in to continue');
    if (method === 'DELETE' && path === '/api/session') {
      if (!csrfOk(req, false)) return fail(res, 403, 'csrf_refused', 'Cross-site request refused');
      s.sessions.delete(cookieOf(req));
      res.writeHead(204, { 'Set-Cookie': `${COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0` });
      return res.end();
    }
    if (method === 'GET' && path === '/api/me') {
      const u = s.users.get(email);
      const role = roleOf(email);
      const clusters = role
        ? [{ id: s.cluster.id, name: s.cluster.name, role, online_nodes: s.nodes.filter((n) => n.online).length, nodes: s.nodes.length }]
        : [];
      return json(res, 200, { user: userJson(u), clusters });
    }
    const cluster = path.match(/^\/api\/clusters\/([^/]+)(\/.*)?$/);
    if (cluster && decodeURIComponent(cluster[1]) === s.cluster.id) return clusterApi(req, res, email, cluster[2] ?? '');
    return fail(res, 404, 'not_found', 'No such cluster or route');
  }

  // The active key of a request's bearer, its last use recorded; null after answering 401.
  function keyOf(req, res) {
    const bearer = (req.headers.authorization ?? '').replace(/^Bearer\s+/i, '');
    const key = s.keys.find((k) => k.id === s.secrets.get(bearer));
    if (!key || key.state !== 'active') {
      fail(res, 401, 'invalid_api_key', 'Invalid or revoked API key');
      return null;
    }
    key.last_used_at = nowS();
    broadcast('key', key);
    return key;
  }

  function v1Models(req, res) {
    if (!keyOf(req, res)) return undefined;
    return json(res, 200, { object: 'list', data: models().map((m) => ({ id: m.id, object: 'model', owned_by: 'quorum' })) });
  }

  async function v1Chat(req, res) {
    const key = keyOf(req, res);
    if (!key) return undefined;
    const { body } = await readBody(req);
    const node = s.nodes.find((n) => n.online && n.models.some((m) => m.id === body?.model));
    if (!node) return fail(res, 404, 'model_not_found', `No online node has ${body?.model}`);
    const usage = { prompt_tokens: 5, completion_tokens: 7, total_tokens: 12 };
    addUsage({ key_id: key.id, node_id: node.id, model: body.model, requests: 1, prompt_tokens: usage.prompt_tokens,
      completion_tokens: usage.completion_tokens });
    return json(res, 200, {
      id: `chatcmpl-${hex(6)}`, object: 'chat.completion', created: nowS(), model: body.model,
      choices: [{ index: 0, message: { role: 'assistant', content: 'Hello from the fake relay.' }, finish_reason: 'stop' }],
      usage,
    }, { 'x-quorum-node': node.name });
  }

  async function file(res, path) {
    const rel = path.startsWith('/assets/') ? normalize(path).replace(/^\/+/, '') : 'relay.html';
    if (rel.startsWith('..')) return fail(res, 404, 'not_found', 'not found');
    try {
      const data = await readFile(join(distDir, rel));
      res.writeHead(200, { 'Content-Type': TYPES[extname(rel)] ?? 'application/octet-stream' });
      return res.end(data);
    } catch {
      res.writeHead(404);
      return res.end(rel === 'relay.html' ? 'dist/relay.html is missing: run npm run build' : 'not found');
    }
  }

  const server = http.createServer(async (req, res) => {
    const path = new URL(req.url, 'http://x').pathname;
    try {
      if (path.startsWith('/_fake/') && req.method === 'POST') return await controls(req, res, path);
      if (path.startsWith('/api/')) return await apiRoute(req, res, path);
      if (path === '/v1/models' && req.method === 'GET') return v1Models(req, res);
      if (path === '/v1/chat/completions' && req.method === 'POST') return await v1Chat(req, res);
      return await file(res, path);
    } catch (e) {
      return fail(res, 500, 'internal', e.message);
    }
  });
  await new Promise((resolve) => server.listen(port, host, resolve));
  const url = `http://${host}:${server.address().port}`;
  return {
    url,
    clusterId: CLUSTER_ID,
    close: () =>
      new Promise((resolve) => {
        for (const st of streams) st.res.end();
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const args = process.argv.slice(2);
  const i = args.indexOf('--port');
  const port = i >= 0 ? Number(args[i + 1]) : 32780;
  const relay = await startFakeRelay({ port });
  console.log(`fake relay dashboard on ${relay.url}/ (alice@example.com / password123)`);
}
