import { defineConfig } from 'vite';
import vue from '@vitejs/plugin-vue';
import { fileURLToPath } from 'node:url';

// The client lives in client/ and builds into client/dist, which the server serves at `/`.
// In development (`npx vite --config client/vite.config.ts`) /api and /ws go to a running
// server: SVDIFF_SERVER=http://127.0.0.1:8188 by default.
const root = fileURLToPath(new URL('.', import.meta.url));
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
    proxy: {
      '/api': { target, changeOrigin: true },
      '/ws': { target, ws: true, changeOrigin: true },
    },
  },
});
