/** Deepest nesting {@link numericLeaves} follows: stats are shallow; a cycle must not hang it. */
const MAX_DEPTH = 4;

/**
 * Every finite number (and boolean, as 1 or 0) in a stats snapshot, by its dotted path:
 * `{ tiers: [{ hits: 3 }] }` gives `tiers.0.hits` → 3. Strings and nulls are left out.
 */
export function numericLeaves(
  value: unknown,
  visit: (path: string, value: number) => void,
  path = '',
  depth = 0,
): void {
  if (typeof value === 'number') {
    if (Number.isFinite(value) && path !== '') visit(path, value);
    return;
  }
  if (typeof value === 'boolean') {
    if (path !== '') visit(path, value ? 1 : 0);
    return;
  }
  if (typeof value !== 'object' || value === null || depth >= MAX_DEPTH) return;
  for (const [key, child] of Object.entries(value)) {
    numericLeaves(child, visit, path === '' ? key : `${path}.${key}`, depth + 1);
  }
}
