// Markdown output: tables, number formatting and the throughput table layout.
import type { ThroughputRow } from './harness.js';

/** A titled block of markdown results, printed to stdout and collected for `--out`. */
export type Section = {
  /** `--filter` path of the measurement, e.g. `sharding/lookups`. */
  readonly path: string;
  readonly title: string;
  /** Table plus notes. */
  readonly markdown: string;
};

/** Column alignment: left or right. */
export type Align = 'l' | 'r';

/**
 * Renders a GitHub-flavoured markdown table, cells padded so the source is readable too.
 *
 * @param align - per column; default left for the first column, right for the others.
 */
export function markdownTable(
  headers: readonly string[],
  rows: readonly (readonly string[])[],
  align?: readonly Align[],
): string {
  const aligns = headers.map((_, i) => align?.[i] ?? (i === 0 ? 'l' : 'r'));
  const widths = headers.map((h, i) => Math.max(3, h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const pad = (text: string, i: number): string =>
    aligns[i] === 'r' ? text.padStart(widths[i] as number) : text.padEnd(widths[i] as number);
  const line = (cells: readonly string[]): string =>
    `| ${headers.map((_, i) => pad(cells[i] ?? '', i)).join(' | ')} |`;
  const rule = `| ${widths.map((w, i) => (aligns[i] === 'r' ? `${'-'.repeat(w - 1)}:` : '-'.repeat(w))).join(' | ')} |`;
  return [line(headers), rule, ...rows.map(line)].join('\n');
}

/** `1234567.8` → `1,234,568`. */
export function formatInt(n: number): string {
  return Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : String(n);
}

/** Fixed decimals with thousands separators: `formatFixed(1234.5, 1)` → `1,234.5`. */
export function formatFixed(n: number, digits: number): string {
  return Number.isFinite(n)
    ? n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })
    : String(n);
}

/** Three significant figures for small values, whole numbers from 1,000 up (`0.0123`, `4.56`, `78.9`, `1,234`). */
export function formatSig(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  const abs = Math.abs(n);
  if (abs >= 1000) return formatInt(n);
  if (abs === 0) return '0';
  const digits = Math.max(0, 2 - Math.floor(Math.log10(abs)));
  return formatFixed(n, digits);
}

/** Ratio with two decimals under 10 and one above: `0.87×`, `15.3×`. */
export function formatRatio(r: number): string {
  return `${formatFixed(r, r >= 10 ? 1 : 2)}×`;
}

/** Printed under every throughput table: how to read its columns. */
export const THROUGHPUT_LEGEND =
  '_ops/s: median over interleaved rounds (min – max). Ratio: median ÷ the anchor’s median, with the ' +
  'range of same-round ratios in parentheses. Latency: ns per operation, each timed batch’s duration ÷ its ' +
  'size (async contenders: per operation), percentiles over all timed batches. batch: operations per timed batch._';

/** Appended to the legend of a case measured in child processes (`isolate`). */
export const ISOLATED_LEGEND =
  '_Isolated: each contender runs in its own child process, which builds only that contender and ' +
  'warms it up; the parent then asks the processes for their timed runs one at a time, in the rotated order._';

/**
 * The throughput table of a case: ops/s (median and min–max over rounds), ratio to the anchor
 * (with the range of per-round ratios), latency percentiles in ns per operation, and targets.
 *
 * @param unit - plural noun for one operation, as in `lookups/s`.
 */
export function throughputTable(rows: readonly ThroughputRow[], unit = 'ops'): string {
  const anchor = rows.find((r) => r.anchor);
  const hasTargets = rows.some((r) => r.target !== undefined);
  const headers = [
    'contender',
    `${unit}/s (median)`,
    'min – max',
    anchor === undefined ? 'ratio' : `× ${anchor.contender} (rounds)`,
    'p50 ns',
    'p99 ns',
    'p99.9 ns',
    'batch',
    ...(hasTargets ? ['target'] : []),
  ];
  const body = rows.map((r) => [
    r.anchor ? `**${r.contender}** (anchor)` : r.contender,
    formatInt(r.opsPerSec.median),
    `${formatInt(r.opsPerSec.min)} – ${formatInt(r.opsPerSec.max)}`,
    r.ratio === undefined
      ? '–'
      : r.anchor || r.ratioRange === undefined
        ? formatRatio(r.ratio)
        : `${formatRatio(r.ratio)} (${formatRatio(r.ratioRange.min)}–${formatRatio(r.ratioRange.max)})`,
    formatSig(r.latencyNs.p50),
    formatSig(r.latencyNs.p99),
    formatSig(r.latencyNs.p999),
    r.kind === 'async' ? '1 (async)' : formatInt(r.batchSize),
    ...(hasTargets
      ? [r.target === undefined ? '' : `${r.target.met ? 'met' : '**MISSED**'}: ${r.target.text}`]
      : []),
  ]);
  return markdownTable(
    headers,
    body,
    headers.map((_, i) => (i === 0 || (i === headers.length - 1 && hasTargets) ? 'l' : 'r')),
  );
}
