// The load shedder's path rules: the path a router would serve, so an exemption cannot be
// reached through dot segments, and exemption lists checked when given.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { matchesAny, PROBE_PATHS, pathList, pathOf } from './pathMatching.js';

describe('pathOf', () => {
  it('takes the path of a URL without its query and fragment', () => {
    expect(pathOf('/api/users?page=2#top')).toBe('/api/users');
    expect(pathOf('/api#x?y')).toBe('/api');
    expect(pathOf(undefined)).toBe('/');
  });

  it('resolves dot segments, escaped ones too, as a router would', () => {
    expect(pathOf('/health/../api/heavy')).toBe('/api/heavy');
    expect(pathOf('/health/%2e%2e/api/heavy?x=1')).toBe('/api/heavy');
    expect(pathOf('/health/./live')).toBe('/health/live');
    expect(pathOf('//evil/../api')).toBe('//api');
  });

  it('leaves a path with no dot segment as the router gets it', () => {
    expect(pathOf('/a b/c\\d')).toBe('/a b/c\\d');
    expect(pathOf('/health%2Flive')).toBe('/health%2Flive');
    expect(pathOf('*')).toBe('*');
    expect(pathOf('http://host/health/../api')).toBe('http://host/health/../api');
  });
});

describe('matchesAny', () => {
  it('matches a prefix at a segment boundary only', () => {
    expect(matchesAny('/admin', ['/admin'])).toBe(true);
    expect(matchesAny('/admin/users', ['/admin'])).toBe(true);
    expect(matchesAny('/admin/', ['/admin/'])).toBe(true);
    expect(matchesAny('/administrator', ['/admin'])).toBe(false);
    expect(matchesAny('/api', ['/admin', '/health'])).toBe(false);
  });
});

describe('PROBE_PATHS', () => {
  it('is the list of default probe paths docs/health.md gives for healthPaths', () => {
    const docs = readFileSync(new URL('../../../docs/health.md', import.meta.url), 'utf8');
    const row = docs.split('\n').find((line) => line.startsWith('| `healthPaths` |')) ?? '';
    const documented = [...(row.split('|')[2] ?? '').matchAll(/`([^`]+)`/g)].map((m) => m[1]);
    expect(PROBE_PATHS).toEqual(documented);
    expect(documented).toHaveLength(10);
  });
});

describe('pathList', () => {
  it('refuses anything but an array of paths starting with /', () => {
    expect(pathList('options.exempt', ['/a', '/b'])).toEqual(['/a', '/b']);
    expect(() => pathList('options.exempt', '/a')).toThrow(
      expect.objectContaining({
        code: 'ERR_LOADSTONE_INVALID_OPTION',
        option: 'options.exempt',
        message: 'Expected `options.exempt` to be an array of paths starting with `/`, got `"/a"` (string)',
      }),
    );
    for (const bad of ['a', 1, null]) {
      expect(() => pathList('options.exempt', ['/a', bad])).toThrow(
        expect.objectContaining({ option: 'options.exempt[1]', expected: 'a path starting with `/`' }),
      );
    }
  });
});
