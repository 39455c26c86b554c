// Fails when a shipped source file (src/, tests excluded) exceeds MAX_LINES: one concept per file
// keeps files small, and a file past the limit is a class asking to be split (docs/architecture.md).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const MAX_LINES = 400;

function* sources(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* sources(path);
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) yield path;
  }
}

let largest = { path: '', lines: 0 };
const over = [];
for (const path of sources('src')) {
  const lines = readFileSync(path, 'utf8').split('\n').length - 1;
  if (lines > largest.lines) largest = { path, lines };
  if (lines > MAX_LINES) over.push(`${path}: ${lines} lines`);
}
if (over.length > 0) {
  console.error(
    `Over ${MAX_LINES} lines (split them into collaborators, see docs/architecture.md):\n${over.join('\n')}`,
  );
  process.exitCode = 1;
} else {
  console.log(`largest source file: ${largest.path}, ${largest.lines} lines (limit ${MAX_LINES})`);
}
