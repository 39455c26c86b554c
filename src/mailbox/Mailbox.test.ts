// Bad input, refused at the call before anything reaches Redis (the client here fails the test
// if it is used). Behaviour against a real redis-server: test/integration/mailbox*.test.ts.
import { beforeEach, describe, expect, it } from 'vitest';
import { expectInvalidOption } from '../../test/helpers/expectInvalidOption.js';
import type { InvalidOptionError } from '../core/errors/InvalidOptionError.js';
import type { JsonValue } from '../core/Json.js';
import { compareMailboxIds, isMailboxId, Mailbox, type MailboxOptions } from './index.js';
import { resolveMailboxOptions } from './MailboxOptions.js';

const unused = {
  evalsha: () => Promise.reject(new Error('the client must not be called')),
  eval: () => Promise.reject(new Error('the client must not be called')),
};
const mailbox = (options: Partial<MailboxOptions> = {}) => new Mailbox({ client: unused, ...options });

async function rejectsWith(work: Promise<unknown>, option: string, expectedPrefix: string): Promise<void> {
  const error = await work.then(
    () => undefined,
    (e: unknown) => e,
  );
  expectInvalidOption(
    () => {
      throw error;
    },
    option,
    expectedPrefix,
  );
}

describe('Mailbox options', () => {
  it.each([
    [{ client: undefined }, 'options.client', 'an ioredis'],
    [{ client: { evalsha: () => undefined } }, 'options.client', 'an ioredis'],
    [{ prefix: 7 }, 'options.prefix', 'a string'],
    [{ maxMessages: 0 }, 'options.maxMessages', 'an integer'],
    [{ maxMessages: 1_000_001 }, 'options.maxMessages', 'an integer'],
    [{ whenFull: 'drop-newest' }, 'options.whenFull', "'drop-oldest'"],
    [{ ttlMs: 999 }, 'options.ttlMs', 'an integer'],
    [{ ttlMs: 366 * 86_400_000 }, 'options.ttlMs', 'an integer'],
    [{ maxMessageBytes: 0 }, 'options.maxMessageBytes', 'an integer'],
    [{ commandTimeoutMs: -1 }, 'options.commandTimeoutMs', 'an integer'],
  ])('refuses %o', (options, option, expected) => {
    expectInvalidOption(() => mailbox(options as Partial<MailboxOptions>), option, expected);
  });

  it('refuses an unknown option, naming it and the Mailbox', () => {
    expectInvalidOption(
      () => mailbox({ maxLength: 5 } as Partial<MailboxOptions>),
      'options.maxLength',
      'absent: it is not an option of Mailbox',
    );
  });

  it('fills in the defaults', () => {
    expect(resolveMailboxOptions({ client: unused })).toEqual({
      client: unused,
      prefix: 'lsm:',
      maxMessages: 1_000,
      whenFull: 'drop-oldest',
      ttlMs: 86_400_000,
      maxMessageBytes: 65_536,
      commandTimeoutMs: 5_000,
    });
    expect(resolveMailboxOptions({ client: unused, prefix: '', whenFull: 'reject' })).toMatchObject({
      prefix: '',
      whenFull: 'reject',
    });
  });

  it.each([
    [{ maxMessageBytes: 16 * 2 ** 20 + 1 }, 'options.maxMessageBytes'],
    [{ commandTimeoutMs: 2 ** 31 }, 'options.commandTimeoutMs'],
    [{ client: { eval: () => undefined } }, 'options.client'],
  ])('refuses just past the edge: %o', (options, option) => {
    expectInvalidOption(
      () => mailbox(options as Partial<MailboxOptions>),
      option,
      option === 'options.client' ? 'an ioredis' : 'an integer',
    );
  });

  it('takes the edges of every range', () => {
    expect(() => mailbox({ maxMessageBytes: 16 * 2 ** 20, commandTimeoutMs: 2 ** 31 - 1 })).not.toThrow();
    expect(() =>
      mailbox({ maxMessages: 1, ttlMs: 1_000, maxMessageBytes: 1, commandTimeoutMs: 0, whenFull: 'reject' }),
    ).not.toThrow();
    expect(() => mailbox({ maxMessages: 1_000_000, ttlMs: 365 * 86_400_000 })).not.toThrow();
  });
});

describe('Mailbox calls', () => {
  let box: Mailbox;
  beforeEach(() => {
    box = mailbox({ maxMessages: 3, maxMessageBytes: 20 });
  });

  /** A call that passed every check and reached the (unused) client. */
  async function reachesRedis(work: Promise<unknown>): Promise<void> {
    await expect(work).rejects.toThrow('the client must not be called');
  }

  it('lets through what sits exactly at each bound', async () => {
    await reachesRedis(box.postMany('u', [1, 2, 3])); // maxMessages
    await reachesRedis(box.post('u', 'x'.repeat(18))); // 20 bytes as JSON
    await reachesRedis(box.read('x'.repeat(1_024), { limit: 10_000 })); // longest recipient, largest page
    await reachesRedis(box.read('u', { after: '999999999999999-999999999999999', limit: 1 }));
    expect(box.stats().failed).toBe(4);
  });

  it.each([
    ['', 'a string of 1 to 1024'],
    ['x'.repeat(1_025), 'a string of 1 to 1024'],
    [42, 'a string of 1 to 1024'],
  ])('refuses the recipient %j on every call', async (recipient, expected) => {
    const r = recipient as string;
    await rejectsWith(box.post(r, 1), 'recipient', expected);
    await rejectsWith(box.read(r), 'recipient', expected);
    await rejectsWith(box.ack(r, '1-0'), 'recipient', expected);
    await rejectsWith(box.size(r), 'recipient', expected);
  });

  it('refuses a message that is not JSON or too large, naming where', async () => {
    await rejectsWith(box.post('u', Number.NaN), 'message', 'JSON-serialisable');
    await rejectsWith(
      box.post('u', { at: new Date() } as unknown as JsonValue),
      'message.at',
      'JSON-serialisable',
    );
    await rejectsWith(box.post('u', 'x'.repeat(19)), 'message', 'at most 20 bytes');
    const tooLarge = (await box.post('u', 'x'.repeat(19)).catch((e: unknown) => e)) as InvalidOptionError;
    expect(tooLarge.message).toBe(
      'Expected `message` to be at most 20 bytes as JSON, got `"21 bytes"` (string)',
    );
    await rejectsWith(
      box.postMany('u', [1, undefined as unknown as JsonValue]),
      'messages[1]',
      'JSON-serialisable',
    );
    expect(Buffer.byteLength(JSON.stringify('x'.repeat(18)))).toBe(20); // the edge itself fits
  });

  it('refuses an empty batch and one larger than maxMessages', async () => {
    await rejectsWith(box.postMany('u', []), 'messages', 'an array of 1 to 3');
    await rejectsWith(box.postMany('u', [1, 2, 3, 4]), 'messages', 'an array of 1 to 3');
    await rejectsWith(box.postMany('u', 'abc' as unknown as JsonValue[]), 'messages', 'an array of 1 to 3');
  });

  it.each(['', 'abc', '1', '1-', '-1', '1-2-3', '1234567890123456-0', ' 1-0'])(
    'refuses the id %j for ack and read',
    async (id) => {
      await rejectsWith(box.ack('u', id), 'id', 'a mailbox id');
      await rejectsWith(box.read('u', { after: id }), 'options.after', 'a mailbox id');
    },
  );

  it('refuses read options that are not an object or not read options, naming the call', async () => {
    await rejectsWith(box.read('u', 5 as unknown as { limit: number }), 'options', 'an object');
    await rejectsWith(
      box.read('u', { limt: 5 } as unknown as { limit: number }),
      'options.limt',
      'absent: it is not an option of Mailbox.read',
    );
  });

  it('refuses a read limit out of range', async () => {
    await rejectsWith(box.read('u', { limit: 0 }), 'options.limit', 'an integer');
    await rejectsWith(box.read('u', { limit: 10_001 }), 'options.limit', 'an integer');
  });

  it('counts no call as failed when it was refused before Redis', async () => {
    await box.post('', 1).catch(() => undefined);
    await box.postMany('u', []).catch(() => undefined);
    expect(box.stats()).toEqual({ posted: 0, read: 0, acknowledged: 0, lost: 0, rejected: 0, failed: 0 });
  });
});

describe('compareMailboxIds', () => {
  it('orders by time, then by sequence, numerically', () => {
    expect(compareMailboxIds('1733500000000-1', '1733500000000-12')).toBeLessThan(0);
    expect(compareMailboxIds('1733500000001-0', '1733500000000-12')).toBeGreaterThan(0);
    expect(compareMailboxIds('9-0', '10-0')).toBeLessThan(0);
    expect(compareMailboxIds('5-5', '5-5')).toBe(0);
  });

  it('refuses what is not an id', () => {
    expectInvalidOption(() => compareMailboxIds('x', '1-0'), 'a', 'a mailbox id');
    expectInvalidOption(() => compareMailboxIds('1-0', '1.5-0'), 'b', 'a mailbox id');
  });
});

describe('isMailboxId', () => {
  it('accepts ids and nothing else', () => {
    expect(isMailboxId('1733500000000-0')).toBe(true);
    expect(isMailboxId('0-0')).toBe(true);
    for (const value of ['$', '', '1-', '1-2-3', '1234567890123456-0', 1, null, undefined, ['1-0']]) {
      expect(isMailboxId(value)).toBe(false);
    }
  });
});
