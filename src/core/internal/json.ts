// Checks that a value is plain JSON, for every bus: the publishing side (whose caller gets an
// InvalidOptionError naming the offending path; `JSON.stringify` alone would silently drop
// functions, turn `NaN` into `null` and `Date`s into strings) and a receiving side that must
// survive anything a peer sends (the cluster primary's relay: `serialization: 'advanced'`
// payloads with cycles, shared references, Maps or bigints).
import { InvalidOptionError } from '../errors/InvalidOptionError.js';

/** Why a value is not plain JSON. */
export type JsonProblem = {
  /** Where, from the root: `['items', 2, 'name']`. */
  readonly path: readonly (string | number)[];
  /** The offending value. */
  readonly value: unknown;
  /** `type`: not a JSON kind; `cycle`: contains itself; `size`: more nodes or depth than allowed. */
  readonly reason: 'type' | 'cycle' | 'size';
};

/** Phrase used in errors for a value that is not JSON. */
export const JSON_PHRASE =
  'JSON-serialisable (null, a boolean, a finite number, a string, an array or a plain object)';

const MAX_DEPTH = 512;

/**
 * Finds the first part of `value` that would not survive a JSON round trip. Properties whose
 * value is `undefined` are allowed (JSON drops them), as in `InProcessBus`. At most `maxNodes`
 * values are visited, so a payload with shared references (a diamond of depth 60) cannot make
 * the walk exponential.
 */
export function findJsonProblem(value: unknown, maxNodes: number): JsonProblem | undefined {
  const path: (string | number)[] = [];
  const ancestors: object[] = [];
  let budget = maxNodes;
  const visit = (item: unknown): JsonProblem | undefined => {
    if (--budget < 0 || path.length > MAX_DEPTH) return { path: [...path], value: item, reason: 'size' };
    switch (typeof item) {
      case 'string':
      case 'boolean':
        return undefined;
      case 'number':
        return Number.isFinite(item) ? undefined : { path: [...path], value: item, reason: 'type' };
      case 'object': {
        if (item === null) return undefined;
        if (ancestors.includes(item)) return { path: [...path], value: item, reason: 'cycle' };
        let entries: [string | number, unknown][];
        if (Array.isArray(item)) {
          entries = [];
          // A sparse array's holes read as undefined, which the walk refuses (JSON would write null).
          for (let i = 0; i < item.length; i++) entries.push([i, item[i]]);
        } else {
          const proto: unknown = Object.getPrototypeOf(item);
          if (proto !== Object.prototype && proto !== null)
            return { path: [...path], value: item, reason: 'type' };
          entries = Object.entries(item).filter(([, v]) => v !== undefined);
        }
        ancestors.push(item);
        for (const [key, child] of entries) {
          path.push(key);
          const problem = visit(child);
          path.pop();
          if (problem !== undefined) return problem;
        }
        ancestors.pop();
        return undefined;
      }
      default:
        return { path: [...path], value: item, reason: 'type' };
    }
  };
  return visit(value);
}

/** `message.items[2].name`, or `message["odd key"]`. */
export function formatJsonPath(root: string, path: readonly (string | number)[]): string {
  let out = root;
  for (const key of path) {
    out +=
      typeof key === 'number'
        ? `[${key}]`
        : /^[A-Za-z_$][\w$]*$/.test(key)
          ? `.${key}`
          : `[${JSON.stringify(key)}]`;
  }
  return out;
}

/**
 * Throws an {@link InvalidOptionError} naming the first part of `message` that is not plain
 * JSON (see {@link findJsonProblem}); `root` names the argument in the error (`message`).
 */
export function assertJson(message: unknown, root = 'message'): void {
  const problem = findJsonProblem(message, Number.MAX_SAFE_INTEGER);
  if (problem === undefined) return;
  const expected =
    problem.reason === 'cycle'
      ? 'acyclic (JSON cannot contain a cycle)'
      : problem.reason === 'size'
        ? `nested at most ${MAX_DEPTH} levels deep`
        : JSON_PHRASE;
  throw new InvalidOptionError(formatJsonPath(root, problem.path), expected, problem.value);
}

/** `JSON.stringify(message)` once {@link assertJson} has passed. */
export function toJsonText(message: unknown): string {
  assertJson(message);
  return JSON.stringify(message);
}
