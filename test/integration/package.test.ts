/**
 * Installs loadstone the way a user does: `npm pack`, then `npm install <tarball> express @opentelemetry/api` in a fresh
 * project outside the repository. There, a strict ESM TypeScript consumer must type-check against the
 * published `.d.ts` files (skipLibCheck off) and run, and a CommonJS consumer must `require` every subpath.
 * The packed files are checked too: nothing the user needs is missing, no dev-only dependency leaked
 * into `dependencies`, and every bare import in `dist/` is a Node builtin, a dependency or an optional peer.
 *
 * Needs the build (`npm test` runs tsup first) and the npm registry (or its cache) for express.
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const fixtures = join(root, 'test/fixtures/consumer');
const tsc = join(root, 'node_modules/typescript/bin/tsc');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

type PackageJson = {
  name: string;
  version: string;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  exports: Record<string, unknown>;
};
const repoPkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as PackageJson;
/** The versions the consumer installs next to loadstone: the ones the repo itself is tested with. */
const devVersion = (name: string): string => `${name}@${repoPkg.devDependencies?.[name] ?? 'latest'}`;

let project = '';
let packedFiles: string[] = [];

beforeAll(async () => {
  project = mkdtempSync(join(tmpdir(), 'loadstone-consumer-'));
  const { stdout } = await run(npm, ['pack', '--json', '--pack-destination', project], {
    cwd: root,
    encoding: 'utf8',
  });
  const [packed] = JSON.parse(stdout) as [{ filename: string; files: { path: string }[] }];
  packedFiles = packed.files.map((file) => file.path);
  writeFileSync(
    join(project, 'package.json'),
    JSON.stringify({ name: 'consumer', private: true, type: 'module' }, null, 2),
  );
  for (const file of ['esm-consumer.ts', 'cjs-consumer.cjs', 'tsconfig.json'])
    cpSync(join(fixtures, file), join(project, file));
  await run(
    npm,
    [
      'install',
      '--no-audit',
      '--no-fund',
      '--prefer-offline',
      `./${packed.filename}`,
      devVersion('express'),
      devVersion('@types/express'),
      devVersion('@types/node'),
      devVersion('@opentelemetry/api'), // loadstone/otel's optional peer
    ],
    { cwd: project, encoding: 'utf8', timeout: 150_000 },
  );
}, 180_000);

afterAll(() => {
  if (project !== '') rmSync(project, { recursive: true, force: true });
});

describe('the packed package, installed in a fresh project', () => {
  it('ships dist, README, CHANGELOG, LICENSE and package.json, and no sources or tests', () => {
    expect(packedFiles).toEqual(
      expect.arrayContaining(['package.json', 'README.md', 'CHANGELOG.md', 'LICENSE']),
    );
    for (const file of packedFiles)
      expect(file).toMatch(/^(dist\/|package\.json$|README\.md$|CHANGELOG\.md$|LICENSE$)/);
    for (const target of JSON.stringify(repoPkg.exports).match(/\.\/dist\/[^"]+/g) ?? [])
      expect(packedFiles, `${target} is in exports but not in the tarball`).toContain(target.slice(2));
  });

  it('depends at runtime only on what dist imports, and dist imports only builtins, dependencies and peers', () => {
    const installed = JSON.parse(
      readFileSync(join(project, 'node_modules/loadstone/package.json'), 'utf8'),
    ) as PackageJson;
    const dist = join(project, 'node_modules/loadstone/dist');
    const imported = new Set<string>();
    for (const file of readdirSync(dist, { recursive: true, encoding: 'utf8' })) {
      if (!/\.c?js$/.test(file)) continue;
      const code = readFileSync(join(dist, file), 'utf8');
      for (const m of code.matchAll(/(?:from\s*|import\(\s*|require\(\s*)["']([^"'./][^"']*)["']/g)) {
        const spec = m[1] as string;
        const name = spec.startsWith('@')
          ? spec.split('/').slice(0, 2).join('/')
          : (spec.split('/')[0] as string);
        imported.add(name);
      }
    }
    const builtins = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);
    const dependencies = Object.keys(installed.dependencies ?? {});
    const peers = Object.keys(installed.peerDependencies ?? {});
    const external = [...imported].filter((name) => !builtins.has(name) && name !== 'loadstone');
    for (const name of external)
      expect([...dependencies, ...peers], `dist imports "${name}", which is not a dependency`).toContain(
        name,
      );
    for (const name of dependencies)
      expect(external, `dependency "${name}" is never imported by dist: dev-only?`).toContain(name);
    for (const name of Object.keys(repoPkg.devDependencies ?? {}))
      expect(dependencies, `dev dependency "${name}" leaked into dependencies`).not.toContain(name);
  });

  it('type-checks a strict ESM TypeScript consumer against the published .d.ts, and runs it', async () => {
    const compiled = await run(process.execPath, [tsc, '-p', 'tsconfig.json'], {
      cwd: project,
      encoding: 'utf8',
    }).catch((error: { stdout?: string }) => ({ stdout: `tsc failed:\n${error.stdout ?? String(error)}` }));
    expect(compiled.stdout).toBe('');
    const { stdout } = await run(process.execPath, ['out/esm-consumer.js'], {
      cwd: project,
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(JSON.parse(stdout)).toEqual({
      body: expect.stringMatching(/^[abc]$/),
      allowed: true,
      result: 'http://x',
      now: 0,
      isError: true,
    });
  });

  it('requires every subpath from CommonJS with the same exports as ESM', async () => {
    const { stdout } = await run(process.execPath, ['cjs-consumer.cjs'], { cwd: project, encoding: 'utf8' });
    const counts = JSON.parse(stdout) as Record<string, number>;
    const expected = Object.keys(repoPkg.exports)
      .filter((subpath) => subpath !== './package.json' && subpath !== './threads/worker')
      .map((subpath) => (subpath === '.' ? 'loadstone' : `loadstone/${subpath.slice(2)}`));
    expect(Object.keys(counts).sort()).toEqual(expected.sort());
  });
});
