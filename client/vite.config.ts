import { defineConfig } from 'vite';
import vue from '@vitejs/plugin-vue';
import { fileURLToPath } from 'node:url';

// The client lives in client/ and builds into client/dist, which the server serves at `/`.
// In development (`npx vite --config client/vite.config.ts`) /api and /ws go to a running
// server: SVDIFF_SERVER=http://127.0.0.1:8188 by default.
// The client imports the workflow module it shares with the server from server/core/workflow
// (relative paths); the dev server may serve that folder and the repository's node_modules.
const root = fileURLToPath(new URL('.', import.meta.url));
const shared = fileURLToPath(new URL('../server/core/', import.meta.url));
const modules = fileURLToPath(new URL('../node_modules/', import.meta.url));
const target = process.env.SVDIFF_SERVER ?? 'http://127.0.0.1:8188';

export default defineConfig({
  root,
  base: '/',
  plugins: [vue()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    chunkSizeWarningLimit: 1200,
  },
  server: {
    fs: { allow: [root, shared, modules] },
    proxy: {
      '/api': { target, changeOrigin: true },
      '/ws': { target, ws: true, changeOrigin: true },
    },
  },
});
