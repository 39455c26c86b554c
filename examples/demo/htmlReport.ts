// The demo's HTML report: one self-contained file (inline SVG, no script, nothing fetched) with,
// for each run, throughput and latency p50/p99 over time, the demo's stages and the rolling
// reload marked, and the text report under it.
import type { Timeline, TimelineMark, TimelinePoint } from './timeline.js';

export type ReportRun = { readonly title: string; readonly timeline: Timeline };

const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const [WIDTH, HEIGHT, PAD] = [760, 170, 36];

type Line = { readonly values: readonly (number | null)[]; readonly color: string; readonly name: string };

/** An SVG chart of `lines` over the run's time, marks as dashed verticals with their labels. */
function chart(
  title: string,
  unit: string,
  points: readonly TimelinePoint[],
  lines: readonly Line[],
  marks: readonly TimelineMark[],
): string {
  const end = Math.max(1, points.at(-1)?.t ?? 1, ...marks.map((m) => m.t));
  const max = Math.max(1e-9, ...lines.flatMap((l) => l.values.filter((v): v is number => v !== null)));
  const x = (t: number) => PAD + (t / end) * (WIDTH - 2 * PAD);
  const y = (v: number) => HEIGHT - PAD / 2 - (v / max) * (HEIGHT - PAD);
  const paths = lines.map((line) => {
    let d = '';
    let gap = true;
    line.values.forEach((v, i) => {
      if (v === null) {
        gap = true;
        return;
      }
      d += `${gap ? 'M' : 'L'}${x((points[i] as TimelinePoint).t).toFixed(1)} ${y(v).toFixed(1)} `;
      gap = false;
    });
    return `<path d="${d}" fill="none" stroke="${line.color}" stroke-width="1.5"><title>${escapeHtml(line.name)}</title></path>`;
  });
  const markLines = marks.map(
    (m, i) =>
      `<line x1="${x(m.t)}" x2="${x(m.t)}" y1="${PAD / 2}" y2="${HEIGHT - PAD / 2}" class="mark"/>` +
      `<text x="${x(m.t) + 3}" y="${PAD / 2 + 10 + (i % 3) * 11}" class="mark">${escapeHtml(m.label)}</text>`,
  );
  const legend = lines.map((l) => `<span style="color:${l.color}">━ ${escapeHtml(l.name)}</span>`).join(' ');
  return `<figure><figcaption>${escapeHtml(title)} ${legend}</figcaption>
<svg viewBox="0 0 ${WIDTH} ${HEIGHT}" width="${WIDTH}" height="${HEIGHT}" role="img" aria-label="${escapeHtml(title)}">
<text x="2" y="${PAD / 2 + 8}" class="axis">${escapeHtml(`${max.toFixed(max < 10 ? 1 : 0)} ${unit}`)}</text>
<text x="2" y="${HEIGHT - 4}" class="axis">0</text><text x="${WIDTH - PAD}" y="${HEIGHT - 4}" class="axis">${end.toFixed(1)} s</text>
${markLines.join('\n')}
${paths.join('\n')}
</svg></figure>`;
}

/** The whole report: `runs` charted, then the text report as it was printed. */
export function htmlReport(runs: readonly ReportRun[], textReport: string, generatedAt: Date): string {
  const sections = runs.map((run) => {
    const points = run.timeline.points();
    const marks = run.timeline.marks;
    return `<section><h2>${escapeHtml(run.title)}</h2>
${chart('Throughput', 'req/s', points, [{ values: points.map((p) => p.perSecond), color: '#2f6fde', name: 'answered per second' }], marks)}
${chart(
  'Latency',
  'ms',
  points,
  [
    { values: points.map((p) => p.p50Ms), color: '#1a7f37', name: 'p50' },
    { values: points.map((p) => p.p99Ms), color: '#c62828', name: 'p99' },
  ],
  marks,
)}
</section>`;
  });
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>loadstone demo report</title>
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5rem; max-width: 820px; }
figure { margin: .75rem 0; } figcaption { font-weight: 600; } figcaption span { font-weight: 400; margin-left: .75rem; }
svg { border: 1px solid #8884; } text.axis { font-size: 10px; fill: #777; }
line.mark { stroke: #b7791f; stroke-dasharray: 4 3; } text.mark { font-size: 10px; fill: #b7791f; }
pre { background: #8881; padding: .75rem; overflow-x: auto; }
</style></head><body>
<h1>loadstone demo</h1>
<p>examples/express-auth under <code>supervise()</code>, generated ${escapeHtml(generatedAt.toISOString())}. Buckets of 250 ms;
marks are the demo's stages and the rolling reload (SIGHUP, then done).</p>
${sections.join('\n')}
<h2>Report</h2>
<pre>${escapeHtml(textReport)}</pre>
</body></html>
`;
}
