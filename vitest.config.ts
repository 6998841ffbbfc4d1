import { defineConfig } from 'vitest/config';

// Server, engine and node tests. The client has its own vitest config under client/.
export default defineConfig({
  test: {
    include: ['server/**/*.test.ts', 'nodes/**/*.test.ts', 'research/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // 2-core machines: ORT sessions and spawned servers compete for CPU.
    maxWorkers: 2,
    // The browser tests' Chromium is unpacked once, before workers start (see the file).
    globalSetup: ['test/e2e/global-setup.ts'],
  },
});
