// bench_web_scale.mjs URL LADDER_UUID READY_FILE LIVE_CALLS - the front end
// at scale in headless Chromium (playwright-core of web/ui):
//  1. the 500-message call's page: from setting its address to the last
//     ladder arrow painted (the API answer included), 5 times;
//  2. the Live page while LIVE_CALLS calls are in progress: writes
//     READY_FILE (the shell starts the replay), waits for every call to be
//     listed, then counts animation frames for 5 s while the rows update
//     (durations every second) and until they all end.
import { createRequire } from 'node:module';
import { writeFileSync } from 'node:fs';

const [url, ladder, ready, liveCalls] = process.argv.slice(2);
const require = createRequire(process.env.UI_DIR + '/package.json');
const { chromium } = require('playwright-core');
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--ignore-certificate-errors', '--no-first-run'],
});
try {
  const ctx = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1400, height: 900 } });
  const page = await ctx.newPage();
  await page.goto(url + '/');
  await page.getByLabel('User').fill('alice');
  await page.getByLabel('Password').fill('alice-password-1');
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('button', { name: 'Log out' }).waitFor();
  const times = [];
  for (let i = 0; i < 5; i++) {
    await page.evaluate(() => { location.hash = '#/search'; });
    await page.locator('table[aria-label="Calls"]').waitFor();
    times.push(await page.evaluate((id) => new Promise((resolve) => {
      const t0 = performance.now();
      location.hash = '#/call/' + id;
      const poll = () => {
        if (document.querySelectorAll('g.arrow').length >= 500) {
          requestAnimationFrame(() => resolve(performance.now() - t0)); // painted
        } else requestAnimationFrame(poll);
      };
      requestAnimationFrame(poll);
    }), ladder));
  }
  const arrows = await page.locator('g.arrow').count();
  times.sort((a, b) => a - b);
  console.log(`ladder: ${arrows} arrows rendered in ${times.map((t) => t.toFixed(0)).join(', ')} ms ` +
    `(median ${times[2].toFixed(0)} ms; target 500 ms)`);

  await page.evaluate(() => { location.hash = '#/live'; });
  await page.getByText(/^Connected/).waitFor({ timeout: 15000 });
  writeFileSync(ready, 'ready\n');
  const n = Number(liveCalls);
  const rows = () => page.locator('table[aria-label="Calls in progress"] tbody tr').count();
  const t0 = Date.now();
  await page.waitForFunction((k) => document.querySelectorAll('table[aria-label="Calls in progress"] tbody tr').length >= k,
    n, { timeout: 60000, polling: 100 });
  const filled = Date.now() - t0;
  const frames = await page.evaluate(() => new Promise((resolve) => {
    const gaps = [];
    let last = performance.now();
    const end = last + 5000;
    const f = (now) => {
      gaps.push(now - last);
      last = now;
      if (now < end) requestAnimationFrame(f); else resolve(gaps);
    };
    requestAnimationFrame(f);
  }));
  const held = await rows();
  frames.sort((a, b) => a - b);
  const long = frames.filter((g) => g > 50).length;
  console.log(`live: ${held} calls in progress listed (${filled} ms after the page was ready); over 5 s ` +
    `${frames.length} frames (${(frames.length / 5).toFixed(0)} fps), median ${frames[frames.length >> 1].toFixed(1)} ms, ` +
    `max ${frames[frames.length - 1].toFixed(0)} ms, ${long} frames over 50 ms`);
  await page.waitForFunction(() => document.querySelectorAll('table[aria-label="Calls in progress"] tbody tr').length === 0,
    null, { timeout: 60000, polling: 200 });
  const st = await (await page.request.get(url + '/api/v1/status')).json();
  console.log(`live: all ended; feed events ${st.web.live_events}, dropped ${st.web.live_events_dropped}, ` +
    `clients dropped ${st.web.live_clients_dropped}`);
} finally {
  await browser.close();
}
