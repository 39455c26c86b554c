import { request } from 'node:http';

/** An answer read whole. */
export type Reply = { status: number; headers: Record<string, string | string[] | undefined>; body: string };

/**
 * One GET to 127.0.0.1:`port` on a fresh connection (so consecutive requests can land on
 * different workers), read whole; rejects after 10 s without an answer.
 */
export function httpGet(port: number, path: string, headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers, agent: false, timeout: 10_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${path} timed out`)));
    req.on('error', reject);
    req.end();
  });
}
