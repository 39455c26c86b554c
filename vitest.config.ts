import { defineConfig } from 'vitest/config';

/** The suites whose parts take their client from `partsClient`: run with ioredis and with node-redis. */
const REDIS_PART_SUITES = [
  'cache-redis',
  'cache-redis-bus',
  'cache-lock-faults',
  'ratelimit-redis',
  'mailbox',
  'mailbox-property',
  'jobs-redis',
  'jobs-faults',
  'jobs-wake-faults',
  'redis-bus-faults',
  'options-fuzz-redis',
];

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['src/**/*.test.ts', 'test/unit/**/*.test.ts'],
          testTimeout: 20_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          // The Redis suites again, with a node-redis client (v6, RESP3) in every part's hands
          // instead of ioredis: see test/helpers/partsClient.ts.
          name: 'redis-node',
          include: REDIS_PART_SUITES.map((suite) => `test/integration/${suite}.test.ts`),
          env: { LOADSTONE_TEST_REDIS_CLIENT: 'node-redis' },
          setupFiles: ['test/helpers/partsClientSetup.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          // Smoke tests of examples/: each starts a real example process, exercises it over HTTP
          // (or WebSocket) on 127.0.0.1 and stops it with SIGTERM.
          name: 'examples',
          include: ['test/examples/**/*.test.ts'],
          testTimeout: 90_000,
          hookTimeout: 90_000,
        },
      },
    ],
  },
});
