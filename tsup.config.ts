import { defineConfig } from 'tsup';

// One entry per public module index (each is a subpath in package.json `exports`);
// worker and child scripts will join this list as separate entries.
export default defineConfig({
  entry: {
    index: 'src/index.ts',
    'sharding/index': 'src/sharding/index.ts',
    'balancing/index': 'src/balancing/index.ts',
    'resilience/index': 'src/resilience/index.ts',
    'testing/index': 'src/testing/index.ts',
  },
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  splitting: true,
  target: 'node20',
  platform: 'node',
});
