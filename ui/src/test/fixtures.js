// Sample node state in the shapes of docs/ui-api.md, for the tests and for dev/fake-node.mjs.
// fullSnapshot(now): a 3-node cluster with a relay, models, engines and recent requests.
// emptySnapshot(now): a fresh standalone node: no cluster, no relay, no models, no requests.

export function selfNode(over = {}) {
  return {
    id: 'n-self-0001', name: 'studio', self: true, address: '127.0.0.1', port: 32768, path: 'self',
    state: 'online', version: '0.4.0', engines: ['embedded', 'ollama'],
    models: [{ id: 'qwen2.5-0.5b-instruct', loaded: true }, { id: 'llama3.2', loaded: false }],
    in_flight: 1, capacity: 4, last_seen_ms_ago: 0, ...over,
  };
}

export function fullSnapshot(now = Date.now()) {
  const nodes = [
    selfNode(),
    {
      id: 'n-laptop-0002', name: 'laptop', self: false, address: '192.168.1.23', port: 32768, path: 'lan',
      state: 'online', version: '0.4.0', engines: ['lmstudio'],
      models: [{ id: 'qwen2.5-0.5b-instruct', loaded: false }, { id: 'deepseek-r1-distill-7b', loaded: true }],
      in_flight: 0, capacity: 2, last_seen_ms_ago: 1200,
    },
    {
      id: 'n-office-0003', name: 'office-gpu', self: false, address: '10.8.0.4', port: 32768, path: 'relay',
      state: 'unreachable', version: '0.3.9', engines: ['vllm'], models: [{ id: 'mistral-7b', loaded: false }],
      in_flight: 0, capacity: 8, last_seen_ms_ago: 95_000, error: 'connection timed out',
    },
  ];
  const rec = (i, over = {}) => ({
    at: now - i * 4000 - 500, request_id: `req-${100 - i}`, endpoint: 'chat', model: 'qwen2.5-0.5b-instruct',
    node_id: 'n-self-0001', node_name: 'studio', engine: 'embedded', status: 200, error_type: '',
    duration_ms: 2400 + i * 130, ttft_ms: 180 + i * 7, prompt_tokens: 24 + i, completion_tokens: 96 + i * 11, ...over,
  });
  return {
    version: 42,
    node: { id: 'n-self-0001', name: 'studio', version: '0.4.0', listen: '127.0.0.1:32768',
            state_dir: '/home/ana/.local/state/quorum', started_at: now - 3_600_000 },
    nodes,
    models: [
      { id: 'qwen2.5-0.5b-instruct', loaded: true, nodes: [{ id: 'n-self-0001', name: 'studio', loaded: true }, { id: 'n-laptop-0002', name: 'laptop', loaded: false }],
        engines: ['embedded'], size_bytes: 491_400_032, embedded: true },
      { id: 'llama3.2', loaded: false, nodes: [{ id: 'n-self-0001', name: 'studio', loaded: false }],
        engines: ['ollama'], size_bytes: null, embedded: false },
      { id: 'deepseek-r1-distill-7b', loaded: true, nodes: [{ id: 'n-laptop-0002', name: 'laptop', loaded: true }],
        engines: [], size_bytes: null, embedded: false },
      { id: 'tinyllama-1.1b', loaded: false, nodes: [{ id: 'n-self-0001', name: 'studio', loaded: false }],
        engines: ['embedded'], size_bytes: 668_788_096, embedded: true },
    ],
    engines: [
      { name: 'embedded', type: 'llamacpp', location: '/home/ana/.local/share/quorum/models', autodetected: false, up: true,
        last_error: '', models: ['qwen2.5-0.5b-instruct', 'tinyllama-1.1b'], removable: false },
      { name: 'ollama', type: 'ollama', location: 'http://127.0.0.1:11434', autodetected: true, up: true, last_error: '',
        models: ['llama3.2'], removable: false },
      { name: 'gpu', type: 'openai', location: 'http://192.168.1.20:8000', autodetected: false, up: false,
        last_error: 'connection refused', models: [], removable: true },
    ],
    requests: {
      in_flight: 1,
      recent: [rec(0), rec(1, { model: 'deepseek-r1-distill-7b', node_id: 'n-laptop-0002', node_name: 'laptop', engine: 'lmstudio' }),
        rec(2, { status: 429, error_type: 'rate_limit_error', completion_tokens: 0, ttft_ms: null, duration_ms: 3 }), rec(3), rec(5)],
    },
    relay: { url: 'https://relay.example.org', state: 'connected', cluster_id: 'c-7f3a9b21', node_id: 'n-self-0001', last_error: '' },
    cluster: { id: 'c-7f3a9b21e04d', fingerprint: 'SHA256:4b:1e:9c:70:aa:02' },
    settings: { name: 'studio', models_dir: '/home/ana/.local/share/quorum/models',
                engines: [{ name: 'gpu', type: 'openai', url: 'http://192.168.1.20:8000' }], autodetect: true },
    models_folder: {
      path: '/home/ana/.local/share/quorum/models',
      files: [{ name: 'qwen2.5-0.5b-instruct.gguf', size_bytes: 491_400_032 }, { name: 'tinyllama-1.1b.gguf', size_bytes: 668_788_096 }],
    },
  };
}

export function emptySnapshot(now = Date.now()) {
  return {
    version: 1,
    node: { id: 'n-self-0001', name: 'studio', version: '0.4.0', listen: '127.0.0.1:32768',
            state_dir: '/home/ana/.local/state/quorum', started_at: now - 60_000 },
    nodes: [selfNode({ engines: ['embedded'], models: [], in_flight: 0 })],
    models: [],
    engines: [{ name: 'embedded', type: 'llamacpp', location: '/home/ana/.local/share/quorum/models', autodetected: false,
                up: true, last_error: '', models: [], removable: false }],
    requests: { in_flight: 0, recent: [] },
    relay: null,
    cluster: null,
    settings: { name: 'studio', models_dir: '/home/ana/.local/share/quorum/models', engines: [], autodetect: true },
    models_folder: { path: '/home/ana/.local/share/quorum/models', files: [] },
  };
}
