// The example's stderr in the report: what it printed, grouped, so a flood of one warning reads
// as one line with a count.
import { formatInt, markdownTable } from '../report.js';

/**
 * The example's stderr, grouped: stack frames dropped, pids and ports masked, each distinct line
 * with its count (the most frequent first).
 */
export function stderrSummary(lines: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const line of lines) {
    if (line.trim() === '' || /^\s+at /.test(line) || line.startsWith('(Use `node --trace-warnings'))
      continue;
    const key = line
      .replace(/\(node:\d+\)/g, '(node:PID)')
      .replace(/(127\.0\.0\.1|localhost):\d+/g, '$1:PORT')
      .slice(0, 160);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  if (counts.size === 0) return 'Nothing.';
  const rows = [...counts]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 15)
    .map(([line, n]) => [`\`${line.replaceAll('`', "'").replaceAll('|', '\\|')}\``, formatInt(n)]);
  const more = counts.size > 15 ? `\n\n${counts.size - 15} more distinct lines not listed.` : '';
  return `${markdownTable(['line (stack frames dropped, pids and ports masked)', 'count'], rows, ['l', 'r'])}${more}`;
}
