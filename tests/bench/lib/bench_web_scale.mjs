// bench_web_scale.mjs URL LADDER_UUID READY_FILE LIVE_CALLS - the front end
// at scale in headless Chromium (playwright-core of web/ui):
//  1. the 500-message call's page: from setting its address to the last
//     ladder arrow painted (the API answer included), 5 times (skipped
//     when LADDER_UUID is "-");
//  2. the Live page while LIVE_CALLS calls are in progress: writes
//     READY_FILE (the shell starts the replay), waits for every call to be
//     counted (the table's aria-rowcount; the rows in the page when it has
//     none), then counts animation frames for 5 s while the rows update
//     (durations every second), then 3 s while the mouse wheel scrolls the
//     calls table down in 40 px steps (each with the renderer's main-thread
//     time per second), then 5 s more of updates once the shell's API load
//     (12 s) is over, and waits until they all end.
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
  const readyAt = Date.now();
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
  // the renderer's main-thread time (Chromium's Performance metrics): what
  // the page costs, apart from the waits a busy machine adds to frames
  const cdp = await ctx.newCDPSession(page);
  await cdp.send('Performance.enable');
  const busy = async () => Object.fromEntries((await cdp.send('Performance.getMetrics')).metrics
    .filter((m) => /^(Task|Script|Layout|RecalcStyle)Duration$/.test(m.name)).map((m) => [m.name, m.value]));
  // frame intervals, and the main thread's tasks over 50 ms (long tasks:
  // the page's own work) in the same time
  const frameGaps = (ms) => page.evaluate((ms) => new Promise((resolve) => {
    const gaps = [];
    const tasks = [];
    const obs = new PerformanceObserver((l) => { for (const e of l.getEntries()) tasks.push(e.duration); });
    obs.observe({ type: 'longtask' });
    let last = performance.now();
    const end = last + ms;
    const f = (now) => {
      gaps.push(now - last);
      last = now;
      if (now < end) requestAnimationFrame(f);
      else { obs.disconnect(); resolve({ gaps, tasks }); }
    };
    requestAnimationFrame(f);
  }), ms);
  // scrolling as a user does: mouse wheel steps of 40 px over the calls
  // table (the browser scrolls off the main thread), as fast as they go
  const wheel = async (ms) => {
    const r = await page.locator(sel).boundingBox();
    await page.mouse.move(r.x + r.width / 2, Math.min(r.y + 200, r.y + r.height / 2));
    for (const end = Date.now() + ms; Date.now() < end;) await page.mouse.wheel(0, 40);
  };
  const measure = async (ms, scroll) => {
    const b0 = await busy();
    const [{ gaps, tasks }] = await Promise.all([frameGaps(ms), scroll ? wheel(ms) : null]);
    const b1 = await busy();
    const per = (k) => ((1000 * (b1[k] - b0[k])) / (ms / 1000)).toFixed(0);
    return { frames: gaps, busy: `main thread ${per('TaskDuration')} ms/s (script ${per('ScriptDuration')}, ` +
      `style ${per('RecalcStyleDuration')}, layout ${per('LayoutDuration')}), ${tasks.length} long tasks` +
      (tasks.length ? ` (longest ${Math.max(...tasks).toFixed(0)} ms)` : '') };
  };
  const report = (what, m, secs) => {
    const frames = m.frames.sort((a, b) => a - b);
    const long = frames.filter((g) => g > 50).length;
    return `${what} ${frames.length} frames (${(frames.length / secs).toFixed(0)} fps), median ` +
      `${frames[frames.length >> 1].toFixed(1)} ms, max ${frames[frames.length - 1].toFixed(0)} ms, ${long} frames over 50 ms, ` +
      m.busy;
  };
  const updating = await measure(5000, false);
  const held = await page.evaluate(counted, sel);
  const inDom = await page.locator(sel + ' tbody tr').count();
  const scrolling = await measure(3000, true);
  const moved = await page.evaluate((q) => (document.querySelector(q).closest('.vtable') || document.scrollingElement).scrollTop, sel);
  console.log(`live: ${held} calls in progress listed, ${inDom} rows in the page (${filled} ms after the page was ` +
    `ready); ${report('over 5 s of updates', updating, 5)}; ${report(`over 3 s of scrolling (${moved} px)`, scrolling, 3)}`);
  // the API load lasts 12 s from READY_FILE and the calls 20 s: 5 s more of
  // updates with capture alone running, when they fit
  await page.waitForTimeout(Math.max(0, readyAt + 13000 - Date.now()));
  if (Date.now() + 5000 < readyAt + 19500) {
    console.log(`live: after the API load, ${report('over 5 s of updates', await measure(5000, false), 5)}`);
  }
  await page.waitForFunction(() => document.querySelectorAll('table[aria-label="Calls in progress"] tbody tr').length === 0,
    null, { timeout: 60000, polling: 200 });
  const st = await (await page.request.get(url + '/api/v1/status')).json();
  console.log(`live: all ended; feed events ${st.web.live_events}, dropped ${st.web.live_events_dropped}, ` +
    `clients dropped ${st.web.live_clients_dropped}`);
} finally {
  await browser.close();
}
