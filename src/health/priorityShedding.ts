// Shedding by request priority: a classifier names each request's level; the lowest levels go
// first (Corp Astro sheds by subscription tier; under-pressure sheds everyone alike).
import type { IncomingMessage } from 'node:http';
import { InvalidOptionError } from '../core/errors/InvalidOptionError.js';
import {
  checkOptionKeys,
  functionOption,
  integerOption,
  nonEmptyStringOption,
  optionNames,
  optionsObject,
} from '../core/internal/validate.js';
import type { PrioritySheddingOptions } from './HealthMonitorOptions.js';
import type { Level } from './thresholds.js';

const OPTIONS = optionNames<PrioritySheddingOptions>()(['levels', 'classify', 'shedWhenDegraded']);

/** Decides, from the monitor's level, whether a request is shed. @internal */
export type ShedRule = (req: IncomingMessage, level: Level) => boolean;

/**
 * The rule of `options.priority`: while degraded the `shedWhenDegraded` lowest levels are shed,
 * while critical every level but the highest. A name not among the levels counts as the lowest.
 * @throws {@link InvalidOptionError} for bad options.
 * @internal
 */
export function priorityRule(value: PrioritySheddingOptions): ShedRule {
  const path = 'options.priority';
  const opts = optionsObject(path, value);
  checkOptionKeys(opts, OPTIONS, 'priority', {}, path);
  const levels = opts.levels;
  if (!Array.isArray(levels) || levels.length < 2) {
    throw new InvalidOptionError(
      `${path}.levels`,
      'an array of at least two level names, highest first',
      levels,
    );
  }
  // A Map: level names are data (a tier named `__proto__` or `constructor` is an ordinary tier).
  const rank = new Map<string, number>();
  levels.forEach((name, i) => {
    nonEmptyStringOption(`${path}.levels[${i}]`, name);
    if (rank.has(name))
      throw new InvalidOptionError(`${path}.levels[${i}]`, 'a name not listed before', name);
    rank.set(name, i);
  });
  const classify = functionOption<(req: IncomingMessage) => unknown>(`${path}.classify`, opts.classify);
  const lowest = levels.length - 1;
  const degradedFrom =
    levels.length - integerOption(`${path}.shedWhenDegraded`, opts.shedWhenDegraded ?? 1, 1, lowest);
  return (req, level) => {
    if (level === 0) return false;
    const at = rank.get(classify(req) as string) ?? lowest;
    return level === 1 ? at >= degradedFrom : at >= 1;
  };
}
