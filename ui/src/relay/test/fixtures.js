// Sample relay dashboard data in the shapes of the dashboard contract, for the tests and for
// dev/fake-relay.mjs. Times are Unix seconds, as the relay sends them.
// clusterSnapshot(nowS): a cluster "Team lab" with two online nodes, two keys, three members, one invite.
// usageRows(nowMs, days): deterministic usage per day × key × node × model over the last `days` days.

export const CLUSTER_ID = 'c-7f3a9b21e04d';

export function relayNode(over = {}) {
  return {
    id: 'n-studio-0001', name: 'studio', online: true, since: 1_764_547_200, path: 'relay', address: '203.0.113.7',
    version: '0.5.0', engines: [{ name: 'embedded', kind: 'llamacpp', healthy: true }],
    models: [{ id: 'qwen2.5-0.5b-instruct', loaded: true }, { id: 'llama3.2', loaded: false }],
    load: { running: 1, queued: 0 }, revoked: false, ...over,
  };
}

export function relayKey(over = {}) {
  return {
    id: 'k-ci0001', name: 'ci-bot', models: [], limits: { rpm: 60, tpm: null, max_parallel: 2 }, expires_at: null,
    created_at: 1_764_400_000, last_used_at: 1_764_540_000, revoked_at: null, state: 'active',
    created_by: 'alice@example.com', ...over,
  };
}

export function clusterSnapshot(nowS = Math.floor(Date.now() / 1000)) {
  const nodes = [
    // Halfway between whole units, so a page clock a few seconds behind the test's still reads "3 h ago".
    relayNode({ since: nowS - 3 * 3600 - 1800 }),
    relayNode({
      id: 'n-laptop-0002', name: 'laptop', since: nowS - 25 * 60, address: '198.51.100.23', path: 'relay',
      engines: [{ name: 'ollama', kind: 'ollama', healthy: true }, { name: 'gpu', kind: 'openai', healthy: false }],
      models: [{ id: 'qwen2.5-0.5b-instruct', loaded: false }, { id: 'deepseek-r1-distill-7b', loaded: true }],
      load: { running: 0, queued: 0 },
    }),
  ];
  return {
    cluster: { id: CLUSTER_ID, name: 'Team lab', created_at: nowS - 40 * 86400 },
    role: 'owner',
    nodes,
    models: [
      { id: 'deepseek-r1-distill-7b', nodes: ['n-laptop-0002'], loaded_on: ['n-laptop-0002'] },
      { id: 'llama3.2', nodes: ['n-studio-0001'], loaded_on: [] },
      { id: 'qwen2.5-0.5b-instruct', nodes: ['n-studio-0001', 'n-laptop-0002'], loaded_on: ['n-studio-0001'] },
    ],
    keys: [
      relayKey({ created_at: nowS - 20 * 86400, last_used_at: nowS - 300 }),
      relayKey({ id: 'k-old0002', name: 'old-script', state: 'revoked', revoked_at: nowS - 5 * 86400,
        created_at: nowS - 30 * 86400, last_used_at: nowS - 6 * 86400, limits: { rpm: null, tpm: null, max_parallel: null } }),
    ],
    members: [
      { user_id: 'u-alice', email: 'alice@example.com', role: 'owner' },
      { user_id: 'u-bob', email: 'bob@example.com', role: 'viewer' },
      { user_id: 'u-carol', email: 'carol@example.com', role: 'admin' },
    ],
    invites: [
      { id: 'i-0001', role: 'viewer', email: 'dan@example.com', created_at: nowS - 86400, expires_at: nowS + 6 * 86400,
        created_by: 'alice@example.com' },
    ],
  };
}

const DAY_MS = 86_400_000;

export function usageRows(nowMs = Date.now(), days = 30) {
  const rows = [];
  const combos = [
    ['k-ci0001', 'n-studio-0001', 'qwen2.5-0.5b-instruct', 40],
    ['k-ci0001', 'n-laptop-0002', 'deepseek-r1-distill-7b', 12],
    ['k-old0002', 'n-studio-0001', 'llama3.2', 9],
  ];
  for (let d = days - 1; d >= 0; d--) {
    const day = new Date(nowMs - d * DAY_MS).toISOString().slice(0, 10);
    combos.forEach(([key_id, node_id, model, base], i) => {
      if (key_id === 'k-old0002' && d < 5) return; // revoked 5 days ago
      const requests = base + ((d * 7 + i * 13) % 17);
      rows.push({ day, key_id, node_id, model, requests, failed: (d + i) % 5 === 0 ? 1 : 0,
        prompt_tokens: requests * 31, completion_tokens: requests * 87 });
    });
  }
  return rows;
}

export function auditEntries(nowS = Math.floor(Date.now() / 1000)) {
  return [
    { id: 3, at: nowS - 5 * 86400, actor: 'alice@example.com', action: 'key.revoke', object: 'k-old0002', detail: { name: 'old-script' } },
    { id: 2, at: nowS - 20 * 86400, actor: 'alice@example.com', action: 'key.create', object: 'k-ci0001', detail: { name: 'ci-bot' } },
    { id: 1, at: nowS - 30 * 86400, actor: 'cli', action: 'member.add', object: 'alice@example.com', detail: { role: 'owner' } },
  ];
}
