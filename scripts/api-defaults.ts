/**
 * The documented defaults, locked beside the API reports: API Extractor's reports carry signatures but
 * no doc comments, so every `@default` tag on an exported declaration is listed in
 * `api/loadstone.defaults.md` (`Owner.member: value`, sorted). Called by `scripts/api-report.ts`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';

function* declarationFiles(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* declarationFiles(path);
    else if (entry.name.endsWith('.d.ts')) yield path;
  }
}

function tagText(tag: ts.JSDocTag): string {
  const comment = typeof tag.comment === 'string' ? tag.comment : ts.getTextOfJSDocComment(tag.comment);
  return (comment ?? '').replace(/\s+/g, ' ').trim();
}

function isExported(node: ts.Node): boolean {
  return (
    ts.canHaveModifiers(node) &&
    (ts.getModifiers(node) ?? []).some((m) => m.kind === ts.SyntaxKind.ExportKeyword)
  );
}

/** Lines `Owner.member: default` for every `@default` under the exported declarations of `dtsRoot`. */
export function documentedDefaults(dtsRoot: string): string[] {
  const lines = new Set<string>();
  for (const file of declarationFiles(dtsRoot)) {
    const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
    const visit = (node: ts.Node, owner: string | undefined): void => {
      let next = owner;
      if (
        (ts.isTypeAliasDeclaration(node) || ts.isInterfaceDeclaration(node) || ts.isClassDeclaration(node)) &&
        node.name !== undefined
      ) {
        next = isExported(node) ? node.name.text : undefined;
      }
      if (
        next !== undefined &&
        (ts.isPropertySignature(node) || ts.isPropertyDeclaration(node) || ts.isGetAccessor(node))
      ) {
        for (const tag of ts.getJSDocTags(node)) {
          if (tag.tagName.text === 'default')
            lines.add(`${next}.${node.name.getText(source)}: ${tagText(tag)}`);
        }
      }
      ts.forEachChild(node, (child) => visit(child, next));
    };
    visit(source, undefined);
  }
  return [...lines].sort();
}
