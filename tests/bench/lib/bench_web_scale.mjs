// bench_web_scale.mjs URL LADDER_UUID READY_FILE LIVE_CALLS - the front end
// at scale in headless Chromium (playwright-core of web/ui):
//  1. the 500-message call's page: from setting its address to the last
//     ladder arrow painted (the API answer included), 5 times (skipped
//     when LADDER_UUID is "-");
//  2. the Live page while LIVE_CALLS calls are in progress: writes
//     READY_FILE (the shell starts the replay), waits for every call to be
//     counted (the table's aria-rowcount; the rows in the page when it has
//     none), then counts animation frames for 5 s while the rows update
//     (durations every second), then 3 s while the calls table scrolls
//     down 40 px a frame, and waits until they all end.
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
  for (let i = 0; ladder !== '-' && i < 5; i++) {
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
  if (times.length) {
    const arrows = await page.locator('g.arrow').count();
    times.sort((a, b) => a - b);
    console.log(`ladder: ${arrows} arrows rendered in ${times.map((t) => t.toFixed(0)).join(', ')} ms ` +
      `(median ${times[2].toFixed(0)} ms; target 500 ms)`);
  }

  await page.evaluate(() => { location.hash = '#/live'; });
  await page.getByText(/^Connected/).waitFor({ timeout: 15000 });
  writeFileSync(ready, 'ready\n');
  const n = Number(liveCalls);
  const sel = 'table[aria-label="Calls in progress"]';
  const counted = (q) => {
    const t = document.querySelector(q);
    if (!t) return 0;
    const rc = t.getAttribute('aria-rowcount');
    return rc === null ? t.querySelectorAll('tbody tr').length : Number(rc) - 1;
  };
  const t0 = Date.now();
  await page.waitForFunction(([q, k]) => {
    const t = document.querySelector(q);
    const rc = t && t.getAttribute('aria-rowcount');
    return (rc === null ? (t ? t.querySelectorAll('tbody tr').length : 0) : Number(rc) - 1) >= k;
  }, [sel, n], { timeout: 60000, polling: 100 });
  const filled = Date.now() - t0;
  const measure = (ms, scroll) => page.evaluate(([q, ms, scroll]) => new Promise((resolve) => {
    const t = document.querySelector(q);
    const box = t.closest('.vtable') || document.scrollingElement;
    const gaps = [];
    let last = performance.now();
    const end = last + ms;
    const f = (now) => {
      gaps.push(now - last);
      last = now;
      if (scroll) box.scrollTop += 40;
      if (now < end) requestAnimationFrame(f); else resolve(gaps);
    };
    requestAnimationFrame(f);
  }), [sel, ms, scroll]);
  const report = (what, frames, secs) => {
    frames.sort((a, b) => a - b);
    const long = frames.filter((g) => g > 50).length;
    return `${what} ${frames.length} frames (${(frames.length / secs).toFixed(0)} fps), median ` +
      `${frames[frames.length >> 1].toFixed(1)} ms, max ${frames[frames.length - 1].toFixed(0)} ms, ${long} frames over 50 ms`;
  };
  const updating = await measure(5000, false);
  const held = await page.evaluate(counted, sel);
  const inDom = await page.locator(sel + ' tbody tr').count();
  const scrolling = await measure(3000, true);
  console.log(`live: ${held} calls in progress listed, ${inDom} rows in the page (${filled} ms after the page was ` +
    `ready); ${report('over 5 s of updates', updating, 5)}; ${report('over 3 s of scrolling', scrolling, 3)}`);
  await page.waitForFunction(() => document.querySelectorAll('table[aria-label="Calls in progress"] tbody tr').length === 0,
    null, { timeout: 60000, polling: 200 });
  const st = await (await page.request.get(url + '/api/v1/status')).json();
  console.log(`live: all ended; feed events ${st.web.live_events}, dropped ${st.web.live_events_dropped}, ` +
    `clients dropped ${st.web.live_clients_dropped}`);
} finally {
  await browser.close();
}
