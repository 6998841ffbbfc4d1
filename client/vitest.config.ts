import { defineConfig } from 'vitest/config';
import vue from '@vitejs/plugin-vue';
import { fileURLToPath } from 'node:url';

// Client unit tests (API client, stores, graph conversion) in a happy-dom browser-like env.
// Run: npx vitest run --config client/vitest.config.ts
const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root,
  plugins: [vue()],
  test: {
    include: ['src/**/*.test.ts'],
    environment: 'happy-dom',
    testTimeout: 20_000,
  },
});
