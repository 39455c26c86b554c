// docs/architecture.md draws the module arrows that dependency-cruiser enforces; this keeps the
// diagram and the rules the same, so the page a newcomer reads first cannot drift from the check.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

type Rule = { comment?: string; from: { path?: string | string[] }; to: { path?: string | string[] } };
const config = createRequire(import.meta.url)(join(root, '.dependency-cruiser.cjs')) as { allowed: Rule[] };

/** `from -> to` for every module arrow the dependency-cruiser config allows. */
function ruleArrows(): string[] {
  const arrows: string[] = [];
  for (const rule of config.allowed) {
    const from = /^\^src\/(\w+)\/$/.exec(String(rule.from.path));
    const to = /^\^src\/\(([\w|]+)\)\/index\\\.ts\$$/.exec(String(rule.to.path));
    if (from === null || to === null) continue;
    for (const target of (to[1] as string).split('|')) arrows.push(`${from[1]} -> ${target}`);
  }
  return arrows.sort();
}

/** `from -> to` for every solid arrow (`a --> b & c`) of the Mermaid diagram. */
function diagramArrows(): string[] {
  const doc = readFileSync(join(root, 'docs/architecture.md'), 'utf8');
  const diagram = /```mermaid\n([\s\S]*?)```/.exec(doc)?.[1] ?? '';
  const arrows: string[] = [];
  for (const line of diagram.split('\n')) {
    const edge = /^\s*(\w+)\s*-->\s*(.+)$/.exec(line);
    if (edge === null) continue;
    for (const target of (edge[2] as string).split('&')) arrows.push(`${edge[1]} -> ${target.trim()}`);
  }
  return arrows.sort();
}

describe('docs/architecture.md', () => {
  it('draws exactly the module arrows that npm run deps allows', () => {
    const rules = ruleArrows();
    expect(rules.length).toBeGreaterThan(5); // the parser found the MODULE_ARROWS rules
    expect(diagramArrows()).toEqual(rules);
  });
});
