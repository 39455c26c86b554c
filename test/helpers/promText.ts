/**
 * A small, strict parser of the Prometheus text exposition format (version 0.0.4), for tests that
 * scrape `/metrics`. It throws on anything it does not understand, so a malformed exposition fails
 * the test at the line that is wrong instead of producing a silently empty result.
 *
 * Supported: `# HELP` / `# TYPE` lines (HELP text unescaped: `\\` and `\n`), other `#` comments
 * (ignored), blank lines, samples `name{label="value",...} value [timestamp]` with label values
 * escaped as `\\`, `\"`, `\n`, a trailing comma in the label set, and the values `+Inf`, `-Inf`,
 * `NaN` (case-insensitive, as Prometheus reads them; prom-client writes `Nan`). Samples named
 * `<family>_sum`, `_count`, `_bucket`, `_total` or `_created` belong to the declared family
 * `<family>` when there is one (summaries, histograms, OpenMetrics-style counters); a sample with no declared family gets an `untyped` family of its own.
 */

/** One sample line. */
export type PromSample = { name: string; labels: Record<string, string>; value: number };

/** One metric family: its `# TYPE`, its `# HELP` and its samples in exposition order. */
export type PromFamily = { type: string; help: string; samples: PromSample[] };

const TYPES = new Set(['counter', 'gauge', 'summary', 'histogram', 'untyped']);
const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const SUFFIXES = ['_sum', '_count', '_bucket', '_total', '_created'];

/**
 * Parses a text exposition into families keyed by family name.
 * @throws Error naming the line number and the problem, for any malformed line, unknown type,
 * duplicate HELP/TYPE, TYPE after the family's samples, duplicate series or bad value.
 */
export function parsePrometheusText(text: string): Map<string, PromFamily> {
  const families = new Map<string, PromFamily>();
  const declaredType = new Set<string>();
  const declaredHelp = new Set<string>();
  const seriesSeen = new Set<string>();
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();

  const familyFor = (name: string): PromFamily => {
    let family = families.get(name);
    if (family === undefined) {
      family = { type: 'untyped', help: '', samples: [] };
      families.set(name, family);
    }
    return family;
  };

  lines.forEach((raw, index) => {
    const fail = (problem: string): never => {
      throw new Error(`promText line ${index + 1}: ${problem}: ${JSON.stringify(raw)}`);
    };
    const line = raw.trim();
    if (line === '') return;
    if (line.startsWith('#')) {
      const match = /^#\s*(HELP|TYPE)\s+(\S+)(?:\s(.*))?$/.exec(line);
      if (match === null) return; // an ordinary comment
      const [, keyword, name = '', rest = ''] = match;
      if (!METRIC_NAME.test(name)) fail('invalid metric name');
      if (keyword === 'HELP') {
        if (declaredHelp.has(name)) fail('duplicate HELP');
        declaredHelp.add(name);
        familyFor(name).help = unescapeHelp(rest, fail);
      } else {
        const type = rest.trim();
        if (!TYPES.has(type)) fail(`unknown type ${type}`);
        if (declaredType.has(name)) fail('duplicate TYPE');
        const family = familyFor(name);
        if (family.samples.length > 0) fail('TYPE after samples of its family');
        declaredType.add(name);
        family.type = type;
      }
      return;
    }
    const sample = parseSample(line, fail);
    const key = `${sample.name}${JSON.stringify(Object.entries(sample.labels).sort())}`;
    if (seriesSeen.has(key)) fail('duplicate series');
    seriesSeen.add(key);
    familyFor(familyName(sample.name, families)).samples.push(sample);
  });
  return families;
}

function familyName(sampleName: string, families: Map<string, PromFamily>): string {
  if (families.has(sampleName)) return sampleName;
  for (const suffix of SUFFIXES) {
    if (sampleName.endsWith(suffix)) {
      const base = sampleName.slice(0, -suffix.length);
      if (families.has(base)) return base;
    }
  }
  return sampleName;
}

function unescapeHelp(text: string, fail: (problem: string) => never): string {
  return text.replace(/\\(.?)/g, (_, next: string) => {
    if (next === '\\') return '\\';
    if (next === 'n') return '\n';
    return fail(`invalid escape \\${next} in HELP`);
  });
}

function parseSample(line: string, fail: (problem: string) => never): PromSample {
  const nameMatch = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line);
  if (nameMatch === null) return fail('expected a metric name');
  const name = nameMatch[0];
  let pos = name.length;
  const labels: Record<string, string> = {};
  if (line[pos] === '{') {
    pos++;
    for (;;) {
      while (line[pos] === ' ') pos++;
      if (line[pos] === '}') {
        pos++;
        break;
      }
      const labelMatch = /^[a-zA-Z_][a-zA-Z0-9_]*/.exec(line.slice(pos));
      if (labelMatch === null || !LABEL_NAME.test(labelMatch[0])) return fail('expected a label name');
      const label = labelMatch[0];
      pos += label.length;
      if (line[pos] !== '=' || line[pos + 1] !== '"') return fail(`expected ="..." after label ${label}`);
      pos += 2;
      let value = '';
      for (;;) {
        const ch = line[pos];
        if (ch === undefined) return fail('unterminated label value');
        if (ch === '"') break;
        if (ch === '\\') {
          const next = line[pos + 1];
          if (next === '\\') value += '\\';
          else if (next === '"') value += '"';
          else if (next === 'n') value += '\n';
          else return fail(`invalid escape \\${next ?? ''} in label value`);
          pos += 2;
        } else {
          value += ch;
          pos++;
        }
      }
      pos++; // closing quote
      if (Object.hasOwn(labels, label)) return fail(`duplicate label ${label}`);
      labels[label] = value;
      while (line[pos] === ' ') pos++;
      if (line[pos] === ',') pos++;
      else if (line[pos] !== '}') return fail('expected , or } in label set');
    }
  }
  const rest = line.slice(pos);
  if (!/^[ \t]/.test(rest)) return fail('expected whitespace before the value');
  const fields = rest.trim().split(/[ \t]+/);
  if (fields.length > 2) return fail('unexpected text after value and timestamp');
  const [valueText = '', timestamp] = fields;
  if (timestamp !== undefined && !/^-?\d+$/.test(timestamp)) return fail('invalid timestamp');
  return { name, labels, value: parseValue(valueText, fail) };
}

function parseValue(text: string, fail: (problem: string) => never): number {
  // Prometheus parses values with Go's strconv.ParseFloat, which takes these case-insensitively
  // (prom-client writes NaN as `Nan`).
  const special = text.toLowerCase();
  if (special === '+inf' || special === 'inf' || special === '+infinity' || special === 'infinity') {
    return Number.POSITIVE_INFINITY;
  }
  if (special === '-inf' || special === '-infinity') return Number.NEGATIVE_INFINITY;
  if (special === 'nan') return Number.NaN;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) return fail(`invalid value ${text}`);
  return Number(text);
}

/**
 * Every sample named `sampleName` whose labels include all of `labels` (a subset match: extra
 * labels on the sample, such as `worker`, are allowed), across all families.
 */
export function samplesOf(
  families: Map<string, PromFamily>,
  sampleName: string,
  labels: Record<string, string> = {},
): PromSample[] {
  const wanted = Object.entries(labels);
  const found: PromSample[] = [];
  for (const family of families.values()) {
    for (const sample of family.samples) {
      if (sample.name !== sampleName) continue;
      if (wanted.every(([key, value]) => sample.labels[key] === value)) found.push(sample);
    }
  }
  return found;
}

/**
 * The value of the sample named `sampleName` matching `labels` (subset match). When several
 * series match (for example one per worker), returns their **sum**, which is what `sum by`
 * gives in PromQL; `undefined` when none matches. Use {@link samplesOf} to see them one by one.
 */
export function sampleValue(
  families: Map<string, PromFamily>,
  sampleName: string,
  labels: Record<string, string> = {},
): number | undefined {
  const found = samplesOf(families, sampleName, labels);
  if (found.length === 0) return undefined;
  return found.reduce((sum, sample) => sum + sample.value, 0);
}
