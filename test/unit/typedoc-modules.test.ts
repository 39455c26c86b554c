// The API reference names each module by the path users import it from (`loadstone/cache`), not
// by its file name (`index`): every typedoc entry point declares `@module` with its import path.
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const typedoc = JSON.parse(readFileSync(join(root, 'typedoc.json'), 'utf8')) as { entryPoints: string[] };

describe('typedoc entry points', () => {
  it.each(typedoc.entryPoints)('%s is documented under its import path', (entry) => {
    const path = entry === 'src/index.ts' ? 'loadstone' : `loadstone/${entry.split('/')[1]}`;
    const source = readFileSync(join(root, entry), 'utf8');
    expect(/^\/\*\*[\s\S]*?\*\//.exec(source)?.[0]).toContain(`@module ${path}\n`);
  });
});
