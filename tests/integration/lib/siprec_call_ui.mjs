// siprec_call_ui.mjs URL OUT_DIR CALL_UUID - the call page's "SIPREC
// recording" section in headless Chromium (test_siprec_call.sh): for a
// listener, the session's facts, participants and streams as the API gives
// them, the metadata document as text in a <pre> and a player for the
// session's audio; for a viewer, the same without metadata or player.  The
// SRC's hostile text (a participant named with an <img> tag, a <script>
// element in the metadata) must stay text: no element made from it, no
// request to /xss-*, no dialog, no console error.  Screenshots in OUT_DIR.
import { createRequire } from 'node:module';

const [url, out, callUuid] = process.argv.slice(2);
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
async function asUser(user, pass) {
  const ctx = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1400, height: 900 } });
  const page = await ctx.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().includes('status of 401')) problems.push('console: ' + m.text());
  });
  page.on('pageerror', (e) => problems.push('pageerror: ' + e.message));
  page.on('request', (r) => { if (r.url().includes('/xss-')) problems.push('request: ' + r.url()); });
  page.on('dialog', (d) => { problems.push('dialog: ' + d.message()); d.dismiss(); });
  await page.goto(url + '/');
  await page.getByLabel('User').fill(user);
  await page.getByLabel('Password').fill(pass);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('button', { name: 'Log out' }).waitFor();
  await page.goto(url + '/#/call/' + callUuid);
  const sec = page.locator('section[aria-label="SIPREC recording"]');
  await sec.waitFor({ timeout: 10000 });
  const detail = await page.evaluate((u) => fetch('/api/v1/calls/' + u).then((r) => r.json()), callUuid);
  return { page, sec, detail };
}
const cellTexts = (loc) => loc.evaluateAll((trs) => trs.map((tr) => [...tr.cells].map((c) => c.textContent)));

try {
  for (const [user, pass, listener] of [['lena', 'lena-password-1', true], ['victor', 'victor-password-1', false]]) {
    const { page, sec, detail } = await asUser(user, pass);
    const s = detail.siprec[0];
    ok(detail.siprec.length === 1, `${user}: the API gives one session`);
    ok(await sec.locator('h3').textContent() === 'SIPREC recording', `${user}: the section's title`);
    const facts = await sec.locator('dl.facts').textContent();
    ok(facts.includes(s.call_id) && facts.includes(`${s.src_ip}:${s.src_port}/${s.transport}`) &&
      facts.includes(s.state) && facts.includes('call_id'), `${user}: SRS Call-ID, SRC, state, link: ${facts}`);
    const parts = await cellTexts(sec.locator('table[aria-label="SIPREC participants"] tbody tr'));
    ok(JSON.stringify(parts) === JSON.stringify(s.participants.map((p) => [p.aor ?? '', p.name ?? '', p.role ?? '', p.id ?? ''])),
      `${user}: participants ${JSON.stringify(parts)}`);
    ok(parts.some((r) => r[1] === '<img src=/xss-siprec-name onerror=alert(1)> Bob'), `${user}: the hostile name shown as text`);
    const streams = await cellTexts(sec.locator('table[aria-label="SIPREC streams"] tbody tr'));
    ok(streams.length === s.streams.length && streams.every((r, i) => r[0] === s.streams[i].label &&
      r[1] === s.streams[i].codec && r[2] === String(s.streams[i].packets)), `${user}: streams ${JSON.stringify(streams)}`);
    ok(await sec.locator('img, script, iframe').count() === 0, `${user}: no element made from the metadata`);
    const audio = sec.locator('audio[aria-label="SIPREC session audio"]');
    const pre = sec.locator('pre[data-testid="siprec-metadata"]');
    if (listener) {
      ok(await audio.getAttribute('src') === `/api/v1/siprec/${s.session_uuid}/audio`, `${user}: the session's player`);
      await sec.locator('details.raw summary').click();
      ok(await pre.textContent() === s.metadata_xml && s.metadata_xml.includes('<script'),
        `${user}: the metadata as text`);
    } else {
      ok(await audio.count() === 0 && await pre.count() === 0 && s.metadata_xml === null,
        `${user}: no player, no metadata`);
    }
    await page.screenshot({ path: `${out}/siprec-call-${user}.png`, fullPage: true });
    await page.waitForTimeout(300); // a late onerror or fetch would show up now
  }
  ok(problems.length === 0, 'no script ran, no request to /xss-*, no error: ' + problems.join('; '));
  console.log(`siprec_call_ui: ${checks} checks ok`);
} finally {
  await browser.close();
}
