// `npm run mutate -- <module>`: StrykerJS over src/<module> against that module's unit tests.
// The HTML report lands in reports/mutation/<module>/index.html (git-ignored).
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';

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
const run = spawnSync('npx', ['stryker', 'run', ...rest], {
  stdio: 'inherit',
  env: { ...process.env, LOADSTONE_MUTATE_MODULE: module },
});
process.exit(run.status ?? 1);
