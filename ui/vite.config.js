// Build and dev configuration of Quorum's local UI.
// - `vite build` writes two pages and their files (base '/'): dist/index.html, the node's local UI (the node
//   embeds dist/ and serves index.html at '/'), and dist/relay.html, the relay's dashboard (quorum-relay serves
//   it at '/'); dist/assets/* holds both pages' scripts and styles (shared chunks included).
// - `vite` (npm run dev) proxies /api and /v1 to a node on http://127.0.0.1:32768 (QUORUM_URL overrides it) and
//   copies that node's per-launch UI token into the page, so writes work while developing; or, with
//   QUORUM_RELAY_URL, to a relay for the dashboard (/relay.html).
// - `vitest run` uses jsdom and src/test/setup.js.
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';
import tailwindcss from '@tailwindcss/vite';

const NODE_URL = process.env.QUORUM_URL || 'http://127.0.0.1:32768';
// Dev only: with QUORUM_RELAY_URL set (a quorum-relay, or dev/fake-relay.mjs), /api and /v1 go to the relay
// instead, and the proxied requests carry the relay's own Origin so that its CSRF rule lets mutations through;
// open http://localhost:5173/relay.html.
const RELAY_URL = process.env.QUORUM_RELAY_URL;
const API_URL = RELAY_URL || NODE_URL;
const relayOrigin = RELAY_URL
  ? { configure: (proxy) => proxy.on('proxyReq', (req) => req.getHeader('origin') && req.setHeader('origin', new URL(RELAY_URL).origin)) }
  : {};
const TOKEN_PLACEHOLDER = '__QUORUM_UI_TOKEN__';

// Dev only: the node writes its token into the index.html it serves; fetch that page and reuse the token.
function devToken() {
  return {
    name: 'quorum-dev-token',
    apply: 'serve',
    async transformIndexHtml(html) {
      try {
        const page = await (await fetch(`${NODE_URL}/`)).text();
        const m = page.match(/name="quorum-ui-token" content="([^"]*)"/);
        if (m && m[1] !== TOKEN_PLACEHOLDER) return html.replace(TOKEN_PLACEHOLDER, m[1]);
      } catch {
        // no node running: keep the placeholder, writes will answer 403
      }
      return html;
    },
  };
}

export default defineConfig({
  base: '/',
  plugins: [react(), tailwindcss(), devToken()],
  build: {
    outDir: 'dist',
    assetsDir: 'assets',
    sourcemap: false,
    rollupOptions: {
      input: { index: 'index.html', relay: 'relay.html' },
      // What both pages use (React, the shared components, formatting, styles) goes in one "shared" chunk.
      output: { codeSplitting: { groups: [{ name: 'shared', test: /node_modules|modulepreload-polyfill|[\\/]src[\\/](lib|components)[\\/]|index\.css/ }] } },
    },
  },
  server: {
    proxy: {
      '/api': { target: API_URL, changeOrigin: true, ...relayOrigin },
      '/v1': { target: API_URL, changeOrigin: true, ...relayOrigin },
    },
  },
  test: {
    environment: 'jsdom',
    setupFiles: ['./src/test/setup.js'],
    include: ['src/**/*.test.{js,jsx}'],
  },
});
