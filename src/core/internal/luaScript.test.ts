import { describe, expect, it } from 'vitest';
import { hashTagSafe, isNoScript, luaScript, runScript, type ScriptRunner } from './luaScript.js';

/** A client that holds no script until one is run from source (as a restarted Redis). */
function client(): ScriptRunner & { calls: string[]; loaded: Set<string> } {
  const calls: string[] = [];
  const loaded = new Set<string>();
  const script = luaScript('probe', 'return ARGV[1]');
  return {
    calls,
    loaded,
    evalsha: async (sha, numKeys, ...rest) => {
      calls.push(`evalsha ${numKeys} ${rest.join(' ')}`);
      if (!loaded.has(sha)) throw new Error('NOSCRIPT No matching script. Please use EVAL.');
      return rest.at(-1);
    },
    eval: async (source, numKeys, ...rest) => {
      calls.push(`eval ${numKeys} ${rest.join(' ')}`);
      if (source === script.source) loaded.add(script.sha);
      return rest.at(-1);
    },
  };
}

describe('luaScript', () => {
  it('carries the SHA1 of its source, frozen', () => {
    const script = luaScript('probe', 'return 1');
    expect(script).toEqual({
      name: 'probe',
      source: 'return 1',
      sha: 'e0e1f9fabfc9d4800c877a703b823ac0578ff8db',
    });
    expect(Object.isFrozen(script)).toBe(true);
  });

  it('runs by SHA, falls back to the source once on NOSCRIPT, and passes keys and arguments on', async () => {
    const redis = client();
    const script = luaScript('probe', 'return ARGV[1]');
    expect(await runScript(redis, script, 1, ['k', 'a'])).toBe('a');
    expect(await runScript(redis, script, 1, ['k', 'b'])).toBe('b');
    expect(redis.calls).toEqual(['evalsha 1 k a', 'eval 1 k a', 'evalsha 1 k b']);
  });

  it('passes any other error on without retrying', async () => {
    const failing: ScriptRunner = {
      evalsha: () => Promise.reject(new Error('READONLY You can’t write against a read only replica.')),
      eval: () => Promise.reject(new Error('eval must not be called')),
    };
    await expect(runScript(failing, luaScript('p', 'return 1'), 0, [])).rejects.toThrow(/READONLY/);
  });

  it('tells NOSCRIPT from other errors and non-errors', () => {
    expect(isNoScript(new Error('NOSCRIPT No matching script'))).toBe(true);
    expect(isNoScript(new Error('ERR NOSCRIPT'))).toBe(false);
    expect(isNoScript('NOSCRIPT')).toBe(false);
  });

  it('percent-encodes what could end a hash tag, and nothing else', () => {
    expect(hashTagSafe('a}b{c%d')).toBe('a%7db%7bc%25d');
    expect(hashTagSafe('user:42 ü')).toBe('user:42 ü');
    expect(hashTagSafe('a}b')).not.toBe(hashTagSafe('a%7db'));
  });
});
