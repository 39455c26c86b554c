// `npm run docs:screenshot` (after `npx tsup`): makes docs/status-page.png. Runs the browser
// test's fixture (test/fixtures/cluster/status-app.mjs, two workers) under a little load for 75 s,
// crashes a worker at 25 s, reloads at 45 s, triples the load at 50 s, and photographs the status
// page in headless chromium (`apt-get install -y chromium`).
import { fork } from 'node:child_process';
import { request } from 'node:http';
import puppeteer from 'puppeteer-core';

const child = fork('test/fixtures/cluster/status-app.mjs', [], { stdio: 'inherit' });
const started = await new Promise((resolve) => {
  child.on('message', (message) => {
    if (message?.event === 'started') resolve(message.payload);
  });
});
const get = (path) =>
  new Promise((resolve) => {
    const req = request(
      { host: '127.0.0.1', port: started.port, path, agent: false, timeout: 2_000 },
      (res) => res.resume().on('end', resolve),
    );
    req.on('timeout', () => req.destroy());
    req.on('error', resolve);
    req.end();
  });

let stopped = false;
const begun = Date.now();
const load = (async () => {
  while (!stopped) {
    const clients = Date.now() - begun > 50_000 ? 6 : 2;
    await Promise.all(Array.from({ length: clients }, () => get('/')));
  }
})();
setTimeout(() => get('/crash'), 25_000);
setTimeout(() => child.send({ cmd: 'reload' }), 45_000);

const browser = await puppeteer.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu'],
  defaultViewport: { width: 1400, height: 980 },
});
const page = await browser.newPage();
await page.goto(`http://127.0.0.1:${started.metrics}/`);
await new Promise((resolve) => setTimeout(resolve, 75_000));
await page.screenshot({ path: 'docs/status-page.png', fullPage: true });
stopped = true;
await load;
await browser.close();
child.kill('SIGTERM');
console.log('wrote docs/status-page.png');
