// `npm run mutate -- <module>`: StrykerJS over src/<module> against that module's unit tests.
// The HTML report lands in reports/mutation/<module>/index.html (git-ignored).
//
// Incremental: the module's last results are kept, gzipped, in stryker-incremental/<module>.json.gz
// (committed). A run starts from them and tests again only the mutants whose code changed or
// whose covering tests changed or grew (Stryker's own diff of sources and tests); every other
// result is reused, so a module measured in parts over several runs adds up to the whole module,
// and measuring it on a later commit costs only what changed. `--force` tests everything again.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { gunzipSync, gzipSync } from 'node:zlib';

const modules = readdirSync('src', { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name);
const [module, ...rest] = process.argv.slice(2);
if (module === undefined || !modules.includes(module)) {
  console.error(`usage: npm run mutate -- <module> [stryker options]\nmodules: ${modules.join(', ')}`);
  process.exit(2);
}
// `--mutate <files>` replaces the config's list, exclusions included: keep tests out of it.
const mutateAt = rest.indexOf('--mutate');
if (mutateAt >= 0 && rest[mutateAt + 1] !== undefined) rest[mutateAt + 1] += ',!src/**/*.test.ts';
// `--with <test globs>` (ours, not Stryker's): more tests to run against the mutants, such as the
// integration suites that test a Redis-backed module against a real redis-server. A module whose
// code is mostly tested that way brings its suites by default (its `thresholds.break` was measured
// with them).
const DEFAULT_WITH = { mailbox: 'test/integration/mailbox*.test.ts' };
const withAt = rest.indexOf('--with');
const withTests = withAt >= 0 ? rest.splice(withAt, 2)[1] : DEFAULT_WITH[module];
if (withAt >= 0 && withTests === undefined) {
  console.error('mutate: --with needs a comma-separated list of test files or globs');
  process.exit(2);
}

const baseline = `stryker-incremental/${module}.json.gz`;
const working = `reports/mutation/${module}/incremental.json`;
mkdirSync(`reports/mutation/${module}`, { recursive: true });
if (existsSync(baseline)) writeFileSync(working, gunzipSync(readFileSync(baseline)));

const run = spawnSync('npx', ['stryker', 'run', '--incremental', '--incrementalFile', working, ...rest], {
  stdio: 'inherit',
  env: { ...process.env, LOADSTONE_MUTATE_MODULE: module, LOADSTONE_MUTATE_WITH: withTests ?? '' },
});
// Stryker writes the incremental file once every mutant has a result (a run under the module's
// `thresholds.break` included): keep it as the new baseline.
if (existsSync(working)) {
  mkdirSync('stryker-incremental', { recursive: true });
  writeFileSync(baseline, gzipSync(readFileSync(working), { level: 9 }));
  console.error(`mutate: results kept in ${baseline} (commit it with the tests it measured)`);
}
process.exit(run.status ?? 1);
