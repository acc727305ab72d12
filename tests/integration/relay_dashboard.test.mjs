// The relay's web dashboard API (docs/dashboard-api.md) end to end, with fetch (no browser): users from the
// CLI, password and link sign-in (the cookie's flags), /api/me, a cluster's snapshot with its node online,
// keys made and revoked through the dashboard and used against /v1, CSRF and role refusals, invites, the
// sign-in limit, and the live events stream (keys, audit, usage, the node going offline).
import { execFileSync } from "node:child_process";
import assert from "node:assert/strict";
import { test } from "node:test";
import { relayBin, waitFor } from "./harness.mjs";
import { lastLine, relayCli, startRelayCluster } from "./relay_cluster.mjs";

const PASSWORD = "correct horse battery";

function addUser(relay, email, { password, operator = false } = {}) {
  const args = ["user", "add", email, "--data", relay.dataDir];
  if (operator) args.push("--operator");
  if (password) args.push("--password-stdin");
  return execFileSync(relayBin(), args, { encoding: "utf8", input: password ? `${password}\n` : "" });
}

// A browser's session: a cookie jar of one cookie and the headers a same-origin fetch sends.
function browser(relay) {
  let cookie = "";
  const b = {
    setCookie: undefined,
    async fetch(route, { method = "GET", body, headers = {}, origin = relay.url } = {}) {
      const h = { ...headers };
      if (cookie) h.Cookie = cookie;
      if (origin) h.Origin = origin;
      if (body !== undefined) h["Content-Type"] = "application/json";
      const r = await fetch(relay.url + route, { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body), redirect: "manual" });
      const set = r.headers.get("set-cookie");
      if (set) {
        b.setCookie = set;
        const value = /quorum_session=([^;]*)/.exec(set)[1];
        cookie = value ? `quorum_session=${value}` : "";
      }
      return r;
    },
    async json(route, init) {
      const r = await b.fetch(route, init);
      const text = await r.text();
      return { status: r.status, body: text ? JSON.parse(text) : null };
    },
  };
  return b;
}

// Reads an SSE response's events ({event, data}) into `out` as they come.
async function collectEvents(response, out) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read().catch(() => ({ done: true }));
    if (done) return;
    buffer += decoder.decode(value, { stream: true });
    let cut;
    while ((cut = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      const event = /^event: (.*)$/m.exec(block)?.[1];
      const data = /^data: (.*)$/m.exec(block)?.[1];
      if (event) out.push({ event, data: JSON.parse(data) });
    }
  }
}

test("the dashboard API: sign-in, snapshot, keys, roles, CSRF and live events", async (t) => {
  const cluster = await startRelayCluster({ nodes: 1, engineOptions: () => ({ offer: ["tools"] }) });
  t.after(() => cluster.stop());
  const { relay } = cluster;
  const [member] = cluster.members;
  // The relay knows the cluster by its fingerprint: the first word of `quorum-relay cluster list`.
  const clusterId = relayCli("cluster", "list", "--data", relay.dataDir).trim().split("\n")[0].split(/\s+/)[0];
  assert.ok(clusterId);

  addUser(relay, "Ann@Example.com", { password: PASSWORD });
  addUser(relay, "viewer@example.com", { password: PASSWORD });
  assert.match(relayCli("user", "list", "--data", relay.dataDir), /ann@example\.com/);
  relayCli("member", "add", "--cluster", clusterId, "--email", "ann@example.com", "--role", "owner", "--data", relay.dataDir);
  relayCli("member", "add", "--cluster", clusterId, "--email", "viewer@example.com", "--role", "viewer", "--data", relay.dataDir);

  // Signed out: 401 signed_out.
  const anon = browser(relay);
  const signedOut = await anon.json("/api/me");
  assert.equal(signedOut.status, 401);
  assert.equal(signedOut.body.error.code, "signed_out");

  // A wrong password and an unknown email answer alike.
  const wrong = await anon.json("/api/session", { method: "POST", body: { email: "ann@example.com", password: "nope nope nope" } });
  const unknown = await anon.json("/api/session", { method: "POST", body: { email: "who@example.com", password: PASSWORD } });
  assert.equal(wrong.status, 401);
  assert.equal(unknown.status, 401);
  assert.equal(wrong.body.error.message, unknown.body.error.message);

  // Sign-in: the cookie's flags.
  const ann = browser(relay);
  const signIn = await ann.json("/api/session", { method: "POST", body: { email: "ann@example.com", password: PASSWORD } });
  assert.equal(signIn.status, 200, JSON.stringify(signIn.body));
  assert.equal(signIn.body.user.email, "ann@example.com");
  assert.match(ann.setCookie, /^quorum_session=[A-Za-z0-9_-]{43};/);
  for (const flag of ["HttpOnly", "SameSite=Strict", "Path=/", "Max-Age=2592000"]) assert.ok(ann.setCookie.includes(flag), ann.setCookie);
  assert.ok(!ann.setCookie.includes("Secure"), "plain HTTP from a direct client: not Secure");

  const me = await ann.json("/api/me");
  assert.equal(me.status, 200);
  assert.deepEqual(me.body.user, { id: me.body.user.id, email: "ann@example.com", operator: false });
  assert.equal(me.body.clusters.length, 1);
  assert.equal(me.body.clusters[0].id, clusterId);
  assert.equal(me.body.clusters[0].role, "owner");
  assert.equal(me.body.clusters[0].online_nodes, 1);

  // The snapshot: the node online with its model.
  const snap = await waitFor(async () => {
    const s = await ann.json(`/api/clusters/${clusterId}`);
    return s.body.nodes?.[0]?.models?.length ? s : undefined;
  }, { what: "the node's models in the snapshot" });
  assert.equal(snap.status, 200);
  assert.equal(snap.body.role, "owner");
  const node = snap.body.nodes[0];
  assert.equal(node.id, member.id);
  assert.equal(node.online, true);
  assert.equal(node.path, "relay");
  assert.equal(node.revoked, false);
  assert.equal(typeof node.since, "number");
  assert.equal(typeof node.address, "string");
  assert.deepEqual(node.models.map((m) => m.id), ["tools"]);
  assert.deepEqual(snap.body.models.map((m) => [m.id, m.nodes]), [["tools", [member.id]]]);
  assert.ok(snap.body.members.some((m) => m.email === "viewer@example.com" && m.role === "viewer"));
  assert.ok(Array.isArray(snap.body.keys) && Array.isArray(snap.body.invites));

  // A cluster one is not a member of is unknown.
  assert.equal((await ann.json("/api/clusters/nope")).status, 404);

  // The live events: the snapshot first.
  const controller = new AbortController();
  const events = [];
  const stream = await fetch(`${relay.url}/api/clusters/${clusterId}/events`, {
    headers: { Cookie: /quorum_session=[^;]*/.exec(ann.setCookie)[0] },
    signal: controller.signal,
  });
  assert.equal(stream.status, 200);
  assert.match(stream.headers.get("content-type"), /text\/event-stream/);
  const reading = collectEvents(stream, events);
  t.after(() => controller.abort());
  await waitFor(() => events.length > 0, { what: "the snapshot event" });
  assert.equal(events[0].event, "snapshot");
  assert.equal(events[0].data.nodes[0].id, member.id);

  // A key made through the dashboard works against /v1; revoked, it is refused.
  const made = await ann.json(`/api/clusters/${clusterId}/keys`, { method: "POST", body: { name: "dash", models: [], rpm: 0 } });
  assert.equal(made.status, 200, JSON.stringify(made.body));
  assert.match(made.body.key, /^qk_/);
  const models = await fetch(`${relay.url}/v1/models`, { headers: { Authorization: `Bearer ${made.body.key}` } });
  assert.equal(models.status, 200);
  assert.deepEqual((await models.json()).data.map((m) => m.id), ["tools"]);
  await waitFor(() => events.some((e) => e.event === "key" && e.data.id === made.body.id), { what: "the key event" });
  await waitFor(() => events.some((e) => e.event === "audit" && e.data.action === "key.create"), { what: "the audit event" });

  // A request with it: its usage reaches the stream when the relay writes it (every 5 s).
  const chat = await fetch(`${relay.url}/v1/chat/completions`, {
    method: "POST",
    headers: { Authorization: `Bearer ${made.body.key}`, "Content-Type": "application/json" },
    body: JSON.stringify({ model: "tools", stream: true, messages: [{ role: "user", content: "weather?" }] }),
  });
  assert.equal(chat.status, 200);
  await chat.text();
  await waitFor(() => events.some((e) => e.event === "usage" && e.data.key_id === made.body.id && e.data.model === "tools" && e.data.requests === 1),
    { timeoutMs: 15000, what: "the usage event" });
  const usage = await ann.json(`/api/clusters/${clusterId}/usage`);
  assert.ok(usage.body.data.some((r) => r.key_id === made.body.id && r.requests === 1), JSON.stringify(usage.body));

  const revoked = await ann.json(`/api/clusters/${clusterId}/keys/${made.body.id}`, { method: "DELETE" });
  assert.equal(revoked.status, 200);
  assert.deepEqual(revoked.body, { id: made.body.id, revoked: true });
  const refused = await fetch(`${relay.url}/v1/models`, { headers: { Authorization: `Bearer ${made.body.key}` } });
  assert.equal(refused.status, 401);

  // CSRF: a mutation without Origin (and no Sec-Fetch-Site), or from another origin, is refused.
  const noOrigin = await ann.json(`/api/clusters/${clusterId}/keys`, { method: "POST", body: { name: "x" }, origin: "" });
  assert.equal(noOrigin.status, 403);
  assert.equal(noOrigin.body.error.code, "csrf_refused");
  const evil = await ann.json(`/api/clusters/${clusterId}/keys`, { method: "POST", body: { name: "x" }, origin: "http://evil.example" });
  assert.equal(evil.body.error.code, "csrf_refused");

  // A viewer reads but cannot change.
  const viewer = browser(relay);
  assert.equal((await viewer.json("/api/session", { method: "POST", body: { email: "viewer@example.com", password: PASSWORD } })).status, 200);
  const viewed = await viewer.json(`/api/clusters/${clusterId}`);
  assert.equal(viewed.status, 200);
  assert.equal(viewed.body.role, "viewer");
  assert.deepEqual(viewed.body.invites, []);
  const forbidden = await viewer.json(`/api/clusters/${clusterId}/keys`, { method: "POST", body: { name: "x" } });
  assert.equal(forbidden.status, 403);
  assert.equal(forbidden.body.error.code, "forbidden");

  // The audit log, newest first.
  const audit = await ann.json(`/api/clusters/${clusterId}/audit`);
  assert.deepEqual(audit.body.data.slice(0, 2).map((a) => a.action), ["key.revoke", "key.create"]);
  assert.equal(audit.body.data[0].actor, "ann@example.com");
  // The key the cluster's node made with `quorum keys create` (startRelayCluster) is there too, by that node.
  const oldest = audit.body.data.at(-1);
  assert.equal(oldest.action, "key.create");
  assert.equal(oldest.actor, `node:${member.id}`);
  assert.equal(oldest.detail.name, "everything");

  // The last owner cannot leave or be demoted.
  const demote = await ann.json(`/api/clusters/${clusterId}/members/${me.body.user.id}`, { method: "PATCH", body: { role: "viewer" } });
  assert.equal(demote.status, 409);

  // An invite, accepted by a new user, who is then signed in as an admin.
  const invite = await ann.json(`/api/clusters/${clusterId}/invites`, { method: "POST", body: { role: "admin" } });
  assert.equal(invite.status, 200, JSON.stringify(invite.body));
  const inviteToken = invite.body.url.split("#invite/")[1];
  assert.match(inviteToken, /^qi_/);
  const newcomer = browser(relay);
  const accepted = await newcomer.json("/api/invites/accept", { method: "POST", body: { token: inviteToken, email: "new@example.com", password: PASSWORD } });
  assert.equal(accepted.status, 200, JSON.stringify(accepted.body));
  assert.equal(accepted.body.role, "admin");
  assert.equal((await newcomer.json(`/api/clusters/${clusterId}`)).body.role, "admin");
  const again = await browser(relay).json("/api/invites/accept", { method: "POST", body: { token: inviteToken, email: "other@example.com", password: PASSWORD } });
  assert.equal(again.status, 404);

  // A one-time sign-in link works once.
  const url = lastLine(relayCli("sign-in-link", "viewer@example.com", "--base-url", relay.url, "--data", relay.dataDir));
  assert.ok(url.startsWith(`${relay.url}/api/session/link?token=qs_`), url);
  const first = await fetch(url, { redirect: "manual" });
  assert.equal(first.status, 303);
  assert.equal(first.headers.get("location"), "/");
  const linkCookie = /quorum_session=[^;]+/.exec(first.headers.get("set-cookie"))[0];
  assert.equal((await fetch(`${relay.url}/api/me`, { headers: { Cookie: linkCookie } })).status, 200);
  const second = await fetch(url, { redirect: "manual" });
  assert.equal(second.status, 303);
  assert.equal(second.headers.get("location"), "/#signin?error=link");

  // Signing out ends the session.
  const out = await ann.fetch("/api/session", { method: "DELETE" });
  assert.equal(out.status, 204);
  assert.match(ann.setCookie, /Max-Age=0/);

  // The page: served at / (the dashboard, or the page saying it was left out of the build).
  const pageAnswer = await fetch(`${relay.url}/`);
  assert.equal(pageAnswer.status, 200);
  assert.match(pageAnswer.headers.get("content-type"), /text\/html/);
  assert.equal(pageAnswer.headers.get("x-frame-options"), "DENY");

  // Behind a proxy on the same machine that says the browser came over HTTPS: the cookie is Secure, and the
  // relay's origin is https://.
  const host = new URL(relay.url).host;
  const proxied = await fetch(`${relay.url}/api/session`, {
    method: "POST",
    headers: { "Content-Type": "application/json", Origin: `https://${host}`, "X-Forwarded-Proto": "https" },
    body: JSON.stringify({ email: "ann@example.com", password: PASSWORD }),
  });
  assert.equal(proxied.status, 200);
  assert.match(proxied.headers.get("set-cookie"), /; Secure/);

  // Failed sign-ins are limited: the 11th within a minute is a 429 with Retry-After.
  let limited;
  for (let i = 0; i < 11 && !limited; i++) {
    const r = await anon.fetch("/api/session", { method: "POST", body: { email: "ann@example.com", password: `wrong-${i}-password` } });
    if (r.status === 429) limited = r;
    else assert.equal(r.status, 401);
  }
  assert.ok(limited, "a 429 after repeated failures");
  assert.ok(Number(limited.headers.get("retry-after")) > 0);
  assert.equal((await limited.json()).error.code, "rate_limited");

  // The node stops: the stream says it is offline.
  await member.node.stop();
  member.alive = false;
  await waitFor(() => events.some((e) => e.event === "node" && e.data.id === member.id && e.data.online === false),
    { timeoutMs: 15000, what: "the node going offline on the events stream" });
  controller.abort();
  await reading;
});
