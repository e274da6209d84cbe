// web_e2e.mjs URL OUT_DIR LOSSY_UUID HOSTILE_UUIDS(comma) TOTAL_CALLS LEG_A,LEG_B,SCAN - the
// dashboard in headless Chromium (Debian's /usr/bin/chromium) driven by
// playwright-core: log in, search, open a call's ladder and check every
// arrow against the API's messages, the raw text of a clicked (and a
// keyboard-selected) arrow, the quality charts, the hostile calls (no
// script runs, no request to /xss-*, no console error: CSP violations are
// console errors), a viewer sees no audio or pcap, the overview's figures,
// a call's related leg, DTMF and alert, and the way back from the alert to
// its call.  Screenshots in OUT_DIR.
import { createRequire } from 'node:module';

const [url, out, lossy, hostileList, totalCalls, legList] = process.argv.slice(2);
const [legA, legB, scanCall] = legList.split(',');
const require = createRequire(process.env.UI_DIR + '/package.json');
const { chromium } = require('playwright-core');
let checks = 0;
function ok(cond, msg) {
  if (!cond) { console.log('FAIL: ' + msg); process.exit(1); }
  checks++;
}

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--no-first-run', '--ignore-certificate-errors'],
});
const problems = [];
const xssRequests = [];
async function newPage() {
  const ctx = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1400, height: 900 } });
  const page = await ctx.newPage();
  // the log-in page probes /api/v1/session (401 before log-in): Chromium logs
  // every 4xx as a console error, so those alone are expected, checked apart
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().includes('status of 401')) problems.push('console: ' + m.text());
  });
  page.on('response', (r) => {
    if (r.status() === 401 && !r.url().endsWith('/api/v1/session')) problems.push('401: ' + r.url());
  });
  page.on('pageerror', (e) => problems.push('pageerror: ' + e.message));
  page.on('request', (r) => { if (r.url().includes('/xss-')) xssRequests.push(r.url()); });
  page.on('dialog', (d) => { problems.push('dialog: ' + d.message()); d.dismiss(); });
  return page;
}
async function login(page, user, pass) {
  await page.goto(url + '/');
  await page.getByLabel('User').fill(user);
  await page.getByLabel('Password').fill(pass);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('button', { name: 'Log out' }).waitFor();
}

try {
  const page = await newPage();
  await page.goto(url + '/');
  await page.getByLabel('User').waitFor();
  await page.screenshot({ path: out + '/login.png' });
  await login(page, 'alice', 'alice-password-1');
  ok(await page.locator('header .who').textContent() === 'alice (admin)', 'logged in as alice');

  // search: every stored call (no time filter), then by Call-ID
  await page.getByLabel('Since').fill('');
  await page.getByRole('button', { name: 'Search' }).click();
  await page.waitForFunction((n) => document.querySelectorAll('table[aria-label="Calls"] tbody tr').length === n,
    Number(totalCalls), { timeout: 10000 }).catch(async (e) => {
    await page.screenshot({ path: out + '/search-fail.png', fullPage: true });
    console.log('rows:', await page.locator('table[aria-label="Calls"] tbody tr').count(), 'want', totalCalls);
    throw e;
  });
  ok(true, 'search lists every stored call');
  await page.getByLabel('Call-ID').fill('web-xss-*');
  await page.getByRole('button', { name: 'Search' }).click();
  await page.waitForFunction(() => document.querySelectorAll('table[aria-label="Calls"] tbody tr').length === 2);
  await page.screenshot({ path: out + '/search.png', fullPage: true });
  ok(true, 'Call-ID filter lists the 2 hostile calls');

  // the ladder of a call with quality intervals, opened from the results
  await page.getByLabel('Call-ID').fill('');
  await page.getByRole('button', { name: 'Search' }).click();
  await page.locator(`a[href="#/call/${lossy}"]`).click();
  await page.locator('svg.ladder').waitFor();
  const detail = await (await page.request.get(url + '/api/v1/calls/' + lossy)).json();
  const msgs = detail.messages;
  const arrows = await page.locator('g.arrow').evaluateAll((gs) => gs.map((g) => ({
    label: g.dataset.label, src: g.dataset.src, dst: g.dataset.dst })));
  ok(arrows.length === msgs.length && msgs.length >= 3, `arrows ${arrows.length} == messages ${msgs.length}`);
  msgs.forEach((m, i) => {
    const label = m.is_request ? m.method : `${m.status_code} ${m.reason || ''}`.trim();
    ok(arrows[i].label === label, `arrow ${i} label ${arrows[i].label} != ${label}`);
    ok(arrows[i].src === `${m.src_ip}:${m.src_port}` && arrows[i].dst === `${m.dst_ip}:${m.dst_port}`,
      `arrow ${i} hosts`);
  });
  await page.locator('g.arrow').nth(0).click();
  ok(await page.locator('[data-testid=raw]').textContent() === msgs[0].raw, 'clicked arrow shows its raw message');
  await page.locator('g.arrow').nth(1).focus();
  await page.keyboard.press('Enter');
  ok(await page.locator('[data-testid=raw]').textContent() === msgs[1].raw, 'Enter on a focused arrow shows its message');
  const charts = await page.locator('figure.chart canvas').count();
  const withIv = new Set(detail.intervals.map((q) => q.stream_id)).size;
  ok(withIv > 0 && charts === withIv, `one chart per stream with intervals: ${charts} == ${withIv}`);
  ok(await page.getByRole('link', { name: 'Download pcap' }).count() === 1, 'admin sees the pcap link');
  await page.screenshot({ path: out + '/call.png', fullPage: true });

  // hostile calls: open each, click every arrow
  for (const h of hostileList.split(',')) {
    const answered = page.waitForResponse((r) => r.url().endsWith('/api/v1/calls/' + h));
    await page.goto(url + '/#/call/' + h);
    await answered;
    await page.locator('svg.ladder').waitFor();
    const n = await page.locator('g.arrow').count();
    for (let i = 0; i < n; i++) await page.locator('g.arrow').nth(i).click();
    ok(n >= 2, `hostile call ${h} has a ladder`);
    const raw = await page.locator('[data-testid=raw]').textContent();
    ok(raw.includes('window.__xss'), 'the hostile text is shown as text');
    await page.screenshot({ path: out + `/hostile-${h.slice(0, 8)}.png`, fullPage: true });
  }
  // the call page: leg a's related leg (a link to leg b), its DTMF, and the
  // scanner's call <-> its alert both ways
  await page.goto(url + '/#/call/' + legA);
  await page.locator('table[aria-label="Related legs"]').waitFor();
  const rel = await page.locator('table[aria-label="Related legs"] tbody tr').evaluateAll((rs) => rs.map((r) => ({
    href: r.querySelector('a').getAttribute('href'), cells: [...r.cells].map((c) => c.textContent) })));
  ok(rel.length === 1 && rel[0].href === '#/call/' + legB && rel[0].cells.includes('web-leg-b@h') &&
    rel[0].cells.includes('same caller and callee within 10 s'), 'leg a links to leg b: ' + JSON.stringify(rel));
  const digits = await page.locator('table[aria-label="DTMF"] tbody tr td:nth-child(2)').allTextContents();
  ok(digits.join('') === '42', 'DTMF digits 4 2: ' + digits);
  await page.screenshot({ path: out + '/call-legs.png', fullPage: true });
  await page.locator('table[aria-label="Related legs"] tbody a').click();
  await page.waitForFunction((b) => location.hash === '#/call/' + b, legB);
  await page.locator('table[aria-label="Related legs"]').waitFor();
  ok(await page.locator(`table[aria-label="Related legs"] a[href="#/call/${legA}"]`).count() === 1, 'leg b links back to leg a');
  await page.goto(url + '/#/call/' + scanCall);
  await page.locator('table[aria-label="Call alerts"]').waitFor();
  await page.locator('table[aria-label="Call alerts"] tbody a').first().click();
  await page.locator('table[aria-label="Alerts"]').waitFor();
  ok(await page.getByLabel('Type').inputValue() === 'scanner', 'the alert link opens Alerts filtered by type');
  const back = page.locator(`table[aria-label="Alerts"] a[href="#/call/${scanCall}"]`);
  await back.first().waitFor();
  ok(await back.count() >= 1, 'the alert links back to its call');
  await page.screenshot({ path: out + '/alerts-calls.png', fullPage: true });
  await back.first().click();
  await page.locator('table[aria-label="Call alerts"]').waitFor();
  ok(await page.evaluate(() => location.hash) === '#/call/' + scanCall, 'alert -> call navigation');

  // the overview: its figures are the API's, three uPlot charts over the minutes with calls
  await page.goto(url + '/#/overview');
  await page.locator('[data-testid=ov-calls]').waitFor();
  const ov = await (await page.request.get(url + '/api/v1/overview')).json();
  ok(await page.locator('[data-testid=ov-calls]').textContent() === String(ov.totals.calls) && ov.totals.calls > 0,
    `overview calls ${await page.locator('[data-testid=ov-calls]').textContent()} == ${ov.totals.calls}`);
  ok(await page.locator('[data-testid=ov-asr]').textContent() === (100 * ov.totals.asr).toFixed(1) + ' %', 'overview ASR');
  ok(await page.locator('[data-testid=ov-mos]').textContent() === Number(ov.totals.mos).toFixed(2), 'overview MOS');
  ok(await page.locator('main figure.chart canvas').count() === 3, 'overview: calls/min, ASR+ACD and MOS charts');
  const dist = await page.locator('table[aria-label="MOS distribution"] tbody tr td:nth-child(2)').allTextContents();
  ok(dist.reduce((a, b) => a + Number(b), 0) === ov.totals.scored, 'MOS distribution rows add up to the scored calls');
  await page.screenshot({ path: out + '/overview.png', fullPage: true });
  for (const p of ['#/overview', '#/live', '#/alerts', '#/registrations', '#/status', '#/users']) {
    await page.goto(url + '/' + p);
    await page.locator('main h2').waitFor();
  }
  await page.goto(url + '/#/live');
  await page.locator('table[aria-label="Calls in progress"]').waitFor();
  await page.screenshot({ path: out + '/live.png', fullPage: true });
  ok(await page.evaluate(() => window.__xss === undefined), 'no injected script ran');
  ok(xssRequests.length === 0, 'no request to an injected URL: ' + xssRequests.join(' '));

  // a viewer: no audio, no pcap
  const v = await newPage();
  await login(v, 'victor', 'victor-password-1');
  await v.goto(url + '/#/call/' + lossy);
  await v.locator('svg.ladder').waitFor();
  ok(await v.getByRole('link', { name: 'Download pcap' }).count() === 0, 'viewer sees no pcap link');
  ok(await v.locator('audio').count() === 0, 'viewer sees no audio player');
  ok(await v.getByRole('link', { name: 'Users' }).count() === 0, 'viewer sees no Users page');
  ok(problems.length === 0, 'no console error, page error or dialog: ' + problems.join(' | '));
  console.log(`all ${checks} checks passed; screenshots in ${out}`);
} finally {
  await browser.close();
}
