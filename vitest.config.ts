import path from 'node:path';
import { defineConfig } from 'vitest/config';

// `unit` needs nothing running. `integration` needs DATABASE_URL, KAFKA_BROKERS, TEMPORAL_ADDRESS and
// TEMPORAL_TEST_SERVER_PATH, which scripts/test.ts provides from services it starts on test-only ports.
export default defineConfig({
  resolve: { alias: { '@': path.resolve(import.meta.dirname) } },
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['{server,worker,scripts,components,app}/**/*.test.ts'],
          exclude: ['**/*.integration.test.ts', 'node_modules/**'],
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['{server,worker,scripts}/**/*.integration.test.ts'],
          setupFiles: ['scripts/vitest-integration-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          // Integration files share three real services on two cores; run them one file at a time.
          fileParallelism: false,
        },
      },
    ],
  },
});
