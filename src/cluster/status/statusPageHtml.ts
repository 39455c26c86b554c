import { STATUS_PAGE_SCRIPT } from './statusPageScript.js';

/** The page's look: system fonts only, nothing fetched. */
const STYLE = `
:root { color-scheme: light dark; --ok: #1a7f37; --warn: #b7791f; --bad: #c62828; --muted: #777; --line: #2f6fde; }
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5rem; }
h1 { font-size: 1.3rem; margin: 0 0 .25rem; }
h2 { font-size: 1.05rem; margin: 1.5rem 0 .5rem; }
#summary span { margin-right: 1.25rem; }
#connection { color: var(--muted); }
.charts { display: flex; flex-wrap: wrap; gap: 1rem; }
figure { margin: 0; }
figcaption { font-weight: 600; }
svg.chart { width: 420px; height: 130px; border: 1px solid #8884; }
svg.spark { width: 90px; height: 22px; vertical-align: middle; margin-left: .35rem; }
path.series { fill: none; stroke: var(--line); stroke-width: 1.5; }
line.mark-restart, line.mark-exit, line.mark-crash-loop { stroke: var(--bad); stroke-dasharray: 3 2; }
line.mark-reload { stroke: var(--warn); stroke-dasharray: 4 2; }
line.mark-memory, line.mark-heartbeat, line.mark-scale { stroke: var(--muted); stroke-dasharray: 2 2; }
text.axis { font-size: 10px; fill: var(--muted); }
table { border-collapse: collapse; }
th, td { padding: .3rem .6rem; border-bottom: 1px solid #8883; text-align: right; white-space: nowrap; }
th:first-child, td:first-child, td.text { text-align: left; }
.badge { padding: .05rem .45rem; border-radius: .6rem; color: #fff; font-size: .8rem; }
.healthy { background: var(--ok); } .degraded { background: var(--warn); } .critical { background: var(--bad); }
.unknown { background: var(--muted); }
`;

/**
 * The status page: one self-contained document (no CDN, no fonts, no build step). Its script
 * and style run only with `nonce`, which the answer's Content-Security-Policy names; every name
 * it shows goes into the DOM as text, never as markup.
 */
export function statusPageHtml(nonce: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>loadstone status</title>
<style nonce="${nonce}">${STYLE}</style>
</head>
<body>
<h1>loadstone cluster</h1>
<div id="summary"></div>
<div id="connection">connecting…</div>
<h2>Cluster <small id="window-label"></small></h2>
<div class="charts" id="charts"></div>
<h2>Workers</h2>
<table id="workers"><thead><tr>
<th>slot</th><th>health</th><th>pid</th><th>state</th><th>uptime</th><th>restarts</th>
<th>RSS</th><th>heap</th><th>loop delay p99</th><th>loop use</th><th>in flight</th><th>req/s</th>
</tr></thead><tbody></tbody></table>
<h2>Primitives</h2>
<table id="primitives"><thead><tr><th>figure</th><th>labels</th><th>value</th><th>workers</th></tr></thead><tbody></tbody></table>
<script nonce="${nonce}">${STATUS_PAGE_SCRIPT}</script>
</body>
</html>
`;
}
