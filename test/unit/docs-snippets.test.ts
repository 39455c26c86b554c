// Type-checks every ```ts block in README.md and docs/*.md, so the guides cannot drift from the API.
// Each block becomes its own module under .snippets/ (gitignored) inside the repository, so the
// tsconfig `paths` resolve `loadstone` and `loadstone/*` to src/, exactly as for the examples. All
// blocks go into one TypeScript program with the compiler options of tsconfig.json (strict), and
// every diagnostic is reported as `docs/file.md:line`.
//
// A block that is deliberately partial opts out with the info string ```ts nocheck. Keep those rare.
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const outDir = join(root, '.snippets');

type Snippet = { doc: string; line: number; file: string; code: string };

/** The documents whose snippets are checked: README.md and docs/*.md (not the generated docs/api). */
function documents(): string[] {
  const docs = readdirSync(join(root, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .sort()
    .map((name) => `docs/${name}`);
  return ['README.md', ...docs];
}

/** Every ```ts block of `doc`, with the 1-based line of its first code line. */
function extract(doc: string): Snippet[] {
  const lines = readFileSync(join(root, doc), 'utf8').split('\n');
  const snippets: Snippet[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)```(\S*)\s*(.*)$/.exec(lines[i] ?? '');
    if (!open) continue;
    const [, indent = '', lang = '', info = ''] = open;
    let end = i + 1;
    while (end < lines.length && !(lines[end] ?? '').trimStart().startsWith('```')) end++;
    if ((lang === 'ts' || lang === 'typescript') && !/\bnocheck\b/.test(info)) {
      const body = lines
        .slice(i + 1, end)
        .map((line) => (line.startsWith(indent) ? line.slice(indent.length) : line));
      const name = `${doc.replace(/[/.]/g, '_')}_L${i + 2}.ts`;
      // `export {}` (on the last line, so line numbers map 1:1) makes every block its own module.
      snippets.push({ doc, line: i + 2, file: join(outDir, name), code: `${body.join('\n')}\nexport {};\n` });
    }
    i = end;
  }
  return snippets;
}

function compilerOptions(): ts.CompilerOptions {
  const configPath = join(root, 'tsconfig.json');
  const config = ts.readConfigFile(configPath, (path) => ts.sys.readFile(path));
  if (config.error) throw new Error(ts.flattenDiagnosticMessageText(config.error.messageText, '\n'));
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, root, undefined, configPath);
  return { ...parsed.options, noEmit: true };
}

describe('documentation snippets', () => {
  const snippets = documents().flatMap(extract);

  it('finds the snippets', () => {
    expect(snippets.length).toBeGreaterThan(10);
  });

  it('type-check against the sources (strict, tsconfig.json options)', () => {
    rmSync(outDir, { recursive: true, force: true });
    mkdirSync(outDir, { recursive: true });
    for (const snippet of snippets) writeFileSync(snippet.file, snippet.code);
    try {
      const program = ts.createProgram(
        snippets.map((s) => s.file),
        compilerOptions(),
      );
      const problems: string[] = [];
      for (const snippet of snippets) {
        const source = program.getSourceFile(snippet.file);
        if (!source) {
          problems.push(`${snippet.doc}:${snippet.line}: snippet not in the program`);
          continue;
        }
        const diagnostics = [
          ...program.getSyntacticDiagnostics(source),
          ...program.getSemanticDiagnostics(source),
        ];
        for (const d of diagnostics) {
          const at = d.start === undefined ? 0 : source.getLineAndCharacterOfPosition(d.start).line;
          const message = ts.flattenDiagnosticMessageText(d.messageText, '\n  ');
          problems.push(`${snippet.doc}:${snippet.line + at}: TS${d.code} ${message}`);
        }
      }
      // Global problems (a missing lib, a bad option) would otherwise pass silently.
      for (const d of program.getGlobalDiagnostics()) {
        problems.push(`global: TS${d.code} ${ts.flattenDiagnosticMessageText(d.messageText, '\n  ')}`);
      }
      expect(problems, `snippet files are in ${relative(root, outDir)}/`).toEqual([]);
    } finally {
      rmSync(outDir, { recursive: true, force: true });
    }
  }, 120_000);
});
