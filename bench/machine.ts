// Machine and version information printed above the results: numbers from different machines,
// Node versions or anchor versions are not comparable, so every report carries them.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gcExposed } from './gc.js';
import { markdownTable } from './report.js';

/** Root of the loadstone repository (the directory holding its package.json). */
export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

const require = createRequire(join(REPO_ROOT, 'package.json'));

/** Version of loadstone itself, from the repository's package.json. */
export function loadstoneVersion(): string {
  return readVersion(join(REPO_ROOT, 'package.json')) ?? 'unknown';
}

/**
 * Installed version of an npm package, read from its package.json. Works for packages whose
 * `exports` hide `./package.json` by walking up from the resolved entry point.
 *
 * @returns the version, or `'not installed'`.
 */
export function packageVersion(name: string): string {
  try {
    return readVersion(require.resolve(`${name}/package.json`)) ?? 'unknown';
  } catch {
    // exports without "./package.json": walk up from the entry point
  }
  try {
    let dir = dirname(require.resolve(name));
    for (;;) {
      const file = join(dir, 'package.json');
      if (existsSync(file)) {
        const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
        if (pkg.name === name) return pkg.version ?? 'unknown';
      }
      const parent = dirname(dir);
      if (parent === dir) return 'unknown';
      dir = parent;
    }
  } catch {
    return 'not installed';
  }
}

function readVersion(file: string): string | undefined {
  return (JSON.parse(readFileSync(file, 'utf8')) as { version?: string }).version;
}

function gitRevision(): string {
  try {
    const run = (args: string[]): string =>
      execFileSync('git', args, {
        cwd: REPO_ROOT,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      }).trim();
    const sha = run(['rev-parse', '--short', 'HEAD']);
    const dirty = run(['status', '--porcelain', '--untracked-files=no']) !== '';
    return dirty ? `${sha} + uncommitted changes` : sha;
  } catch {
    return 'unknown';
  }
}

/**
 * Markdown table of the machine (CPU model, cores, memory, OS), the runtime (Node, V8, `--expose-gc`)
 * and the versions of loadstone and of each anchor package.
 *
 * @param anchors - npm package names the selected suites compare against.
 * @param quick - whether this is a `--quick` run (marked, since its numbers are not for comparison).
 */
export function machineInfo(anchors: readonly string[], quick: boolean): string {
  const cpus = os.cpus();
  const models = [...new Set(cpus.map((c) => c.model.trim()))].join(', ') || 'unknown';
  const rows: [string, string][] = [
    ['date', new Date().toISOString()],
    ['CPU', models],
    ['cores', `${cpus.length} logical (availableParallelism ${os.availableParallelism()})`],
    ['memory', `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`],
    ['OS', `${os.type()} ${os.release()} ${os.arch()}`],
    ['Node', `${process.version} (V8 ${process.versions.v8})`],
    ['--expose-gc', gcExposed() ? 'yes' : 'no (gc enabled at run time)'],
    ['mode', quick ? '`--quick` (smoke test: do not compare these numbers)' : 'full'],
    ['loadstone', `${loadstoneVersion()} (${gitRevision()})`],
    ...[...new Set(anchors)].sort().map((name): [string, string] => [name, packageVersion(name)]),
  ];
  return markdownTable(['machine', ''], rows);
}
