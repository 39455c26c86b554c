import { afterEach, describe, expect, it, vi } from 'vitest';
import { warnPermissiveProxy, warnUntrustedProxy } from './proxyWarning.js';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('the proxy warnings', () => {
  it('warns of an untrusted proxy only for a request with X-Forwarded-For, once per process', () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    warnUntrustedProxy({ host: 'x' }, 'the setting');
    expect(warn).not.toHaveBeenCalled();
    warnUntrustedProxy({ 'x-forwarded-for': '203.0.113.7' }, 'the setting');
    warnUntrustedProxy({ 'x-forwarded-for': '203.0.113.8' }, 'another setting');
    expect(warn.mock.calls).toEqual([
      [
        'A request rate-limited by its address came with X-Forwarded-For, but the setting does not trust ' +
          'the proxy: every client behind it shares its address and one limit. Set the setting to the ' +
          "proxy's address (or hop count), or give the rate limit a key.",
        { code: 'LOADSTONE_WARN_UNTRUSTED_PROXY' },
      ],
    ]);
  });

  it('warns of a permissive setting once per process, apart from the untrusted-proxy warning', () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    warnPermissiveProxy('Express\'s "trust proxy"');
    warnPermissiveProxy('Express\'s "trust proxy"');
    expect(warn.mock.calls).toEqual([
      [
        'Express\'s "trust proxy" is true: it trusts every X-Forwarded-For, so a client can choose the ' +
          'address its rate limit counts against. Set it to the number of proxies in front of the app, ' +
          'or their addresses.',
        { code: 'LOADSTONE_WARN_PERMISSIVE_TRUST_PROXY' },
      ],
    ]);
  });
});
