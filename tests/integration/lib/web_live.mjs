// web_live.mjs URL OUT_DIR READY_FILE CALLS [MANY] - the Live page in
// headless Chromium while a capture is replayed: log in, open Live, wait
// for the WebSocket, write READY_FILE (the shell starts the replay), then
// see calls in progress appear and all CALLS end with their MOS; no console
// error.  With MANY, then write READY_FILE.many (the shell replays MANY
// calls in progress together) and check the windowed calls table: the
// count and aria-rowcount give every call while the page holds only a
// window of rows, and the End key in the table's scroll box brings the
// last call started into view; then they all end.  Screenshots in OUT_DIR.
import { createRequire } from 'node:module';
import { writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

const [url, out, ready, calls, manyArg] = process.argv.slice(2);
const many = Number(manyArg || 0);
const require = createRequire(process.env.UI_DIR + '/package.json');
const { chromium } = require('playwright-core');
function ok(cond, msg) { if (!cond) { console.log('FAIL: ' + msg); process.exit(1); } }

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--no-first-run', '--ignore-certificate-errors'],
});
try {
  const ctx = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1400, height: 900 } });
  const page = await ctx.newPage();
  const problems = [];
  page.on('console', (m) => { if (m.type() === 'error' && !m.text().includes('status of 401')) problems.push(m.text()); });
  page.on('pageerror', (e) => problems.push(e.message));
  await page.goto(url + '/');
  await page.getByLabel('User').fill('alice');
  await page.getByLabel('Password').fill('alice-password-1');
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('link', { name: 'Live' }).click();
  await page.getByText(/^Connected/).waitFor({ timeout: 15000 });
  writeFileSync(ready, 'ready\n');
  const t0 = Date.now();
  await page.waitForFunction(() => document.querySelectorAll('table[aria-label="Calls in progress"] tbody tr').length > 0,
    null, { timeout: 30000 });
  const seenAfter = Date.now() - t0;
  await page.screenshot({ path: out + '/live-in-progress.png', fullPage: true });
  await page.waitForFunction((n) => document.querySelectorAll('table[aria-label="Ended calls"] tbody tr').length === n,
    Number(calls), { timeout: 45000 });
  const mos = await page.locator('table[aria-label="Ended calls"] tbody tr td:nth-child(6)').allTextContents();
  ok(mos.every((m) => Number(m) >= 1 && Number(m) <= 5), 'every ended call shows a MOS: ' + mos.join(','));
  // the same MOS as the stored calls (the storage consumer saw the same records)
  await page.waitForTimeout(1500); // storage.batch_delay
  const stored = (await (await page.request.get(url + '/api/v1/calls?since=10m')).json()).calls;
  ok(stored.length === Number(calls), `stored ${stored.length} calls`);
  const a = stored.map((c) => Number(c.mos).toFixed(2)).sort().join(' ');
  // the shell downloads this call's pcap once the packet store closed it
  writeFileSync(dirname(ready) + '/web.callid', stored[0].call_id);
  ok(a === [...mos].sort().join(' '), `live MOS ${mos} != stored ${a}`);
  ok(await page.locator('table[aria-label="Calls in progress"] tbody tr').count() === 0, 'nothing left in progress');
  await page.screenshot({ path: out + '/live-ended.png', fullPage: true });
  const status = await (await page.request.get(url + '/api/v1/status')).json();
  ok(status.web.live_clients === 1 && status.web.live_events >= 3 * Number(calls) && status.web.live_events_dropped === 0,
    'feed counters: ' + JSON.stringify(status.web));
  let windowed = '';
  if (many > 0) {
    writeFileSync(ready + '.many', 'ready\n');
    const sel = 'table[aria-label="Calls in progress"]';
    await page.waitForFunction(([q, k]) => document.querySelector(q).getAttribute('aria-rowcount') === String(k + 1),
      [sel, many], { timeout: 30000 });
    ok(await page.getByRole('heading', { name: `Calls in progress (${many})` }).count() === 1, 'the heading counts every call');
    const idx = await page.locator(sel + ' tbody tr').evaluateAll((rs) => rs.map((r) => Number(r.getAttribute('aria-rowindex'))));
    ok(idx.length > 0 && idx.length <= 60 && idx.length < many, `${idx.length} rows in the page for ${many} calls (a window)`);
    ok(idx[0] === 2 && idx.every((v, i) => v === 2 + i), 'aria-rowindex from the first call: ' + idx.join(','));
    await page.locator('.vtable').focus();
    await page.keyboard.press('End');
    await page.waitForFunction(([q, k]) => {
      const t = document.querySelector(q);
      const b = t.closest('.vtable').getBoundingClientRect();
      const r = t.querySelector(`tbody tr[aria-rowindex="${k + 1}"]`);
      const x = r && r.getBoundingClientRect();
      return !!x && x.top >= b.top && x.bottom <= b.bottom + 1;
    }, [sel, many], { timeout: 5000 });
    const lastCaller = await page.locator(`${sel} tbody tr[aria-rowindex="${many + 1}"] td:nth-child(2)`).textContent();
    ok(lastCaller === String(100000 + many - 1), `the last row after End is ${lastCaller}, not the last call started`);
    const after = await page.locator(sel + ' tbody tr').count();
    ok(after <= 60, `${after} rows in the page at the bottom`);
    await page.screenshot({ path: out + '/live-many.png' }); // fullPage would resize the scroll box
    await page.waitForFunction((q) => document.querySelector(q).getAttribute('aria-rowcount') === '1', sel, { timeout: 45000 });
    ok(await page.locator(sel + ' tbody tr').count() === 0, 'no row left once all ended');
    windowed = `; ${many} calls in progress held in ${idx.length} rows, the last one in view after End`;
  }
  ok(problems.length === 0, 'no console error: ' + problems.join(' | '));
  console.log(`live: first call in progress after ${seenAfter} ms, ${calls} calls ended with MOS ${mos.join(' ')}; ` +
    `${status.web.live_events} events, 0 dropped${windowed}`);
} finally {
  await browser.close();
}
