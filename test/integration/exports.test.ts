/**
 * Smoke-imports the *built* package through its `exports` map, both as ESM (`import`) and as CommonJS
 * (`require`), the way a user would: a child `node` process in the repo root resolves `loadstone/...` by
 * package self-reference. `npm test` builds first (its `pretest` script runs tsup).
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

type ConditionTargets = { readonly types: string; readonly default: string };
type ExportEntry = { readonly import: ConditionTargets; readonly require: ConditionTargets };
type PackageJson = {
  readonly name: string;
  readonly version: string;
  readonly exports: Readonly<Record<string, ExportEntry | string>>;
};

const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as PackageJson;
const subpaths = Object.keys(pkg.exports).filter((key) => key !== './package.json');
/** Subpath exports that must not be imported on the main thread (worker entries). */
const NOT_IMPORTABLE = new Set<string>(['./threads/worker']);

const specifier = (subpath: string): string =>
  subpath === '.' ? pkg.name : `${pkg.name}/${subpath.slice(2)}`;

function entry(subpath: string): ExportEntry {
  const value = pkg.exports[subpath];
  if (typeof value !== 'object') throw new Error(`exports["${subpath}"] must have import/require conditions`);
  return value;
}

function assertBuilt(file: string): void {
  if (!existsSync(join(root, file))) {
    throw new Error(
      `${file} is missing: run \`npm run build\` before the integration tests (.ci/run does this). ` +
        'These tests import the built package through its exports map, not the sources.',
    );
  }
}

/** Runs a snippet in a fresh node, cwd = repo root, and returns its stdout parsed as JSON. */
async function nodeEval(mode: 'esm' | 'cjs', code: string): Promise<unknown> {
  const args = mode === 'esm' ? ['--input-type=module', '-e', code] : ['-e', code];
  const { stdout } = await run(process.execPath, args, { cwd: root, encoding: 'utf8' });
  return JSON.parse(stdout);
}

/** Names and `typeof` of each export of a subpath, as seen through `import()` or `require()`. */
async function surface(mode: 'esm' | 'cjs', subpath: string): Promise<Record<string, string>> {
  const spec = JSON.stringify(specifier(subpath));
  const load = mode === 'esm' ? `await import(${spec})` : `require(${spec})`;
  const code = `const m = ${load}; const out = {};
    for (const k of Object.keys(m).sort()) if (k !== 'default' && k !== '__esModule') out[k] = typeof m[k];
    console.log(JSON.stringify(out));`;
  return (await nodeEval(mode, code)) as Record<string, string>;
}

/** The error code node gives when asked for a specifier, or `'resolved'`. */
async function resolutionError(mode: 'esm' | 'cjs', spec: string): Promise<string> {
  const s = JSON.stringify(spec);
  const code =
    mode === 'esm'
      ? `try { await import(${s}); console.log('"resolved"'); } catch (e) { console.log(JSON.stringify(e.code)); }`
      : `try { require(${s}); console.log('"resolved"'); } catch (e) { console.log(JSON.stringify(e.code)); }`;
  return (await nodeEval(mode, code)) as string;
}

describe('package exports map', () => {
  it('lists ".", "./testing" and "./package.json", each subpath with import/require and its own types', () => {
    expect(Object.keys(pkg.exports)).toEqual(expect.arrayContaining(['.', './testing', './package.json']));
    expect(pkg.exports['./package.json']).toBe('./package.json');
    for (const subpath of subpaths) {
      const { import: esm, require: cjs } = entry(subpath);
      expect(Object.keys(entry(subpath)), subpath).toEqual(['import', 'require']);
      // `types` must come first in each condition object, or TypeScript ignores it.
      expect(Object.keys(esm), subpath).toEqual(['types', 'default']);
      expect(Object.keys(cjs), subpath).toEqual(['types', 'default']);
      expect(esm.default, subpath).toMatch(/^\.\/dist\/.+\.js$/);
      expect(esm.types, subpath).toBe(esm.default.replace(/\.js$/, '.d.ts'));
      expect(cjs.default, subpath).toBe(esm.default.replace(/\.js$/, '.cjs'));
      expect(cjs.types, subpath).toBe(esm.default.replace(/\.js$/, '.d.cts'));
    }
  });

  it('has a subpath for every src/<module>/index.ts except core, and each points at that module', () => {
    const modules = readdirSync(join(root, 'src'))
      .filter((name) => name !== 'core' && statSync(join(root, 'src', name)).isDirectory())
      .filter((name) => existsSync(join(root, 'src', name, 'index.ts')));
    for (const name of modules) {
      expect(subpaths, `src/${name}/index.ts has no "./${name}" export`).toContain(`./${name}`);
      expect(entry(`./${name}`).import.default).toBe(`./dist/${name}/index.js`);
    }
    expect(entry('.').import.default).toBe('./dist/index.js');
  });

  it('documents every subpath: typedoc entryPoints mirror the exports map', () => {
    const typedoc = JSON.parse(readFileSync(join(root, 'typedoc.json'), 'utf8')) as { entryPoints: string[] };
    const fromExports = subpaths
      .filter((subpath) => !NOT_IMPORTABLE.has(subpath))
      .map((subpath) => (subpath === '.' ? 'src/index.ts' : `src/${subpath.slice(2)}/index.ts`));
    expect([...typedoc.entryPoints].sort()).toEqual([...fromExports].sort());
  });

  it('points every condition at a file that the build emitted', () => {
    for (const subpath of subpaths) {
      const { import: esm, require: cjs } = entry(subpath);
      for (const file of [esm.types, esm.default, cjs.types, cjs.default]) assertBuilt(file);
    }
  });

  describe.each(subpaths.filter((subpath) => !NOT_IMPORTABLE.has(subpath)))('%s', (subpath) => {
    it('imports as ESM and requires as CJS with the same named exports', async () => {
      assertBuilt(entry(subpath).import.default);
      assertBuilt(entry(subpath).require.default);
      const [esm, cjs] = await Promise.all([surface('esm', subpath), surface('cjs', subpath)]);
      expect(Object.keys(esm).length, `${specifier(subpath)} exports nothing`).toBeGreaterThan(0);
      expect(cjs).toEqual(esm);
    });
  });

  it.each(['.', './sharding'])(
    'exposes ConsistentHashSharder from %s under import and require',
    async (subpath) => {
      assertBuilt(entry(subpath).import.default);
      const [esm, cjs] = await Promise.all([surface('esm', subpath), surface('cjs', subpath)]);
      expect(esm.ConsistentHashSharder).toBe('function');
      expect(cjs.ConsistentHashSharder).toBe('function');
    },
  );

  it('exposes package.json', async () => {
    const version = await nodeEval(
      'cjs',
      `console.log(JSON.stringify(require('${pkg.name}/package.json').version))`,
    );
    expect(version).toBe(pkg.version);
  });

  it.each([
    `${pkg.name}/dist/index.js`,
    `${pkg.name}/dist/sharding/index.cjs`,
    `${pkg.name}/src/index.ts`,
    `${pkg.name}/core`,
  ])('refuses %s, which is not in the exports map', async (spec) => {
    expect(await resolutionError('esm', spec)).toBe('ERR_PACKAGE_PATH_NOT_EXPORTED');
    expect(await resolutionError('cjs', spec)).toBe('ERR_PACKAGE_PATH_NOT_EXPORTED');
  });
});
