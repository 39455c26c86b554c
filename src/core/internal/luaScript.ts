// The Redis stores' shared way to run Lua: each script is sent by its SHA1 (EVALSHA) and, when
// the server has not seen it (NOSCRIPT: a restarted or failed-over Redis, a new cluster node),
// once more from source. Used by the job store, the rate-limit store and the mailbox.
import { createHash } from 'node:crypto';

/** A script with its SHA1, for EVALSHA. */
export type LuaScript = { readonly name: string; readonly source: string; readonly sha: string };

/** The part of an ioredis `Redis` or `Cluster` client that runs scripts. */
export type ScriptRunner = {
  evalsha(sha: string, numKeys: number, ...keysAndArgs: (string | number)[]): Promise<unknown>;
  eval(script: string, numKeys: number, ...keysAndArgs: (string | number)[]): Promise<unknown>;
};

/** `source` with its SHA1, frozen. */
export function luaScript(name: string, source: string): LuaScript {
  return Object.freeze({ name, source, sha: createHash('sha1').update(source).digest('hex') });
}

/** Whether Redis refused an EVALSHA because it does not hold the script. */
export function isNoScript(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('NOSCRIPT');
}

/** Runs `script` with its first `numKeys` of `keysAndArgs` as KEYS, the rest as ARGV. */
export async function runScript(
  client: ScriptRunner,
  script: LuaScript,
  numKeys: number,
  keysAndArgs: readonly (string | number)[],
): Promise<unknown> {
  try {
    return await client.evalsha(script.sha, numKeys, ...keysAndArgs);
  } catch (error) {
    if (!isNoScript(error)) throw error;
    return client.eval(script.source, numKeys, ...keysAndArgs);
  }
}

/**
 * `text` made safe inside a Redis Cluster hash tag (`{…}`): `{`, `}` and `%` are percent-encoded,
 * so a name cannot close the tag early or move a key to another slot, and distinct names stay
 * distinct.
 */
export function hashTagSafe(text: string): string {
  return text.replace(/[%{}]/g, (c) => `%${c.charCodeAt(0).toString(16)}`);
}
