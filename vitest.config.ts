import { defineConfig } from 'vitest/config';

// Tests import workspace packages through the "source" export condition, so they run
// against src/ without a build step.
export default defineConfig({
  resolve: { conditions: ['source', 'module', 'node', 'import', 'default'] },
  ssr: { resolve: { conditions: ['source', 'module', 'node', 'import', 'default'] } },
  test: {
    include: ['scripts/**/*.test.ts', 'packages/*/src/**/*.test.ts', 'signaling-server/src/**/*.test.ts', 'demo-app/src/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    reporters: ['default', './scripts/vitest-summary-reporter.ts'],
  },
});
