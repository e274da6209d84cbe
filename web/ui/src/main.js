// main.js - siphon's dashboard: a single page over /api/v1 (Preact + htm,
// uPlot for the quality charts).  Everything shown comes from the wire and
// is hostile: it is rendered as text nodes by Preact only (no innerHTML,
// no dangerouslySetInnerHTML, no inline handlers in markup), and the
// server's Content-Security-Policy allows scripts from this origin only.
import { h, render } from 'preact';
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import htm from 'htm';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import './app.css';

const html = htm.bind(h);
let csrf = '';

// ---- the API -----------------------------------------------------------
async function api(path, opts = {}) {
  const o = { credentials: 'same-origin', headers: {}, ...opts };
  if (o.method === 'POST') {
    o.headers['X-CSRF-Token'] = csrf || 'login';
    o.headers['Content-Type'] = 'application/x-www-form-urlencoded';
  }
  const r = await fetch('/api/v1' + path, o);
  let body = {};
  try { body = await r.json(); } catch (e) { body = {}; }
  if (!r.ok) {
    const err = new Error(body.error || r.statusText);
    err.status = r.status;
    throw err;
  }
  return body;
}

function useHash() {
  const [hash, setHash] = useState(location.hash || '#/search');
  useEffect(() => {
    const f = () => setHash(location.hash || '#/search');
    addEventListener('hashchange', f);
    return () => removeEventListener('hashchange', f);
  }, []);
  return hash;
}

function useApi(path, deps, every) {
  const [state, setState] = useState({ loading: true });
  useEffect(() => {
    let live = true;
    setState({ loading: true });
    const load = () => api(path).then(
      (data) => live && setState({ data }),
      (error) => live && setState({ error }));
    load();
    const t = every ? setInterval(load, every) : null;
    return () => { live = false; if (t) clearInterval(t); };
  }, deps);
  return state;
}

// ---- small pieces -------------------------------------------------------
const fmtTime = (s) => (s ? new Date(s).toISOString().replace('T', ' ').slice(0, 23) : '');
const fmtNum = (v, d = 2) => (v === null || v === undefined ? '' : Number(v).toFixed(d));

function Status({ state }) {
  if (state.loading) return html`<p class="muted" role="status">Loading…</p>`;
  if (state.error) return html`<p class="error" role="alert">${state.error.message}</p>`;
  return null;
}

function Table({ cols, rows, label, rowKey }) {
  return html`<table aria-label=${label}>
    <thead><tr>${cols.map((c) => html`<th scope="col">${c.title}</th>`)}</tr></thead>
    <tbody>${rows.map((r, i) => html`<tr key=${rowKey ? rowKey(r) : i}>
      ${cols.map((c) => html`<td class=${c.cls || ''}>${c.cell ? c.cell(r) : String(r[c.key] ?? '')}</td>`)}
    </tr>`)}</tbody>
  </table>`;
}

// ---- log-in ---------------------------------------------------------------
function Login({ onLogin }) {
  const [err, setErr] = useState('');
  const submit = async (e) => {
    e.preventDefault();
    const f = new FormData(e.target);
    try {
      const s = await api('/login', { method: 'POST', body: new URLSearchParams(f).toString() });
      csrf = s.csrf;
      onLogin(s);
    } catch (x) { setErr(x.message); }
  };
  return html`<main class="login"><h1>siphon</h1>
    <form onSubmit=${submit} aria-label="Log in">
      <label>User <input name="user" autocomplete="username" required /></label>
      <label>Password <input name="password" type="password" autocomplete="current-password" required /></label>
      <button type="submit">Log in</button>
      ${err && html`<p class="error" role="alert">${err}</p>`}
    </form></main>`;
}

// ---- search ---------------------------------------------------------------
const FILTERS = [
  ['since', 'Since', '24h'], ['until', 'Until', ''], ['caller', 'Caller', ''],
  ['callee', 'Callee', ''], ['ip', 'IP', ''], ['call_id', 'Call-ID', ''],
  ['code', 'Final code', ''], ['mos_below', 'MOS below', ''],
];
const STATES = ['', 'answered', 'ringing', 'trying', 'busy', 'cancelled', 'rejected', 'failed',
  'no_answer', 'timeout'];
const CALL_COLS = [
  { title: 'Start', cell: (c) => html`<a href=${'#/call/' + c.call_uuid}>${fmtTime(c.start_ts)}</a>` },
  { title: 'Caller', key: 'caller' }, { title: 'Callee', key: 'callee' },
  { title: 'State', key: 'state' }, { title: 'Code', key: 'final_code' },
  { title: 'Duration s', cell: (c) => fmtNum(c.duration_s, 1), cls: 'num' },
  { title: 'MOS', cell: (c) => fmtNum(c.mos), cls: 'num' },
  { title: 'User-Agent', key: 'user_agent' },
];

function query(obj) {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(obj)) if (v !== '' && v !== undefined) p.set(k, v);
  return p.toString();
}

function csvCell(v) {
  let s = v === null || v === undefined ? '' : String(v);
  if (/^[=+\-@\t\r]/.test(s)) s = "'" + s; // no formulas in a spreadsheet
  return '"' + s.replace(/"/g, '""') + '"';
}

function Search() {
  const init = Object.fromEntries(FILTERS.map(([k, , d]) => [k, d]));
  const [filters, setFilters] = useState({ ...init, state: '' });
  const [offset, setOffset] = useState(0);
  const [res, setRes] = useState({ loading: true });
  // queries run in parallel on the server: only the latest one's answer counts
  const seq = useRef(0);
  const load = (f, off) => {
    const n = ++seq.current;
    setRes({ loading: true });
    api('/calls?' + query({ ...f, limit: 50, offset: off })).then(
      (data) => n === seq.current && setRes({ data }), (error) => n === seq.current && setRes({ error }));
  };
  useEffect(() => load(filters, offset), [offset]);
  const submit = (e) => {
    e.preventDefault();
    const f = Object.fromEntries(new FormData(e.target));
    setFilters(f);
    if (offset === 0) load(f, 0); else setOffset(0);
  };
  const exportCsv = async () => {
    const d = await api('/calls?' + query({ ...filters, limit: 1000 }));
    const keys = ['call_uuid', 'start_ts', 'caller', 'callee', 'call_id', 'src_ip', 'dst_ip', 'state',
      'final_code', 'duration_s', 'mos', 'user_agent'];
    const text = [keys.join(',')].concat(d.calls.map((c) => keys.map((k) => csvCell(c[k])).join(','))).join('\r\n');
    const a = document.createElement('a');
    a.href = URL.createObjectURL(new Blob([text], { type: 'text/csv' }));
    a.download = 'siphon-calls.csv';
    a.click();
    setTimeout(() => URL.revokeObjectURL(a.href), 1000);
  };
  return html`<section><h2>Search calls</h2>
    <form class="filters" onSubmit=${submit} aria-label="Call filters">
      ${FILTERS.map(([k, t, d]) => html`<label>${t} <input name=${k} defaultValue=${init[k] ?? d} /></label>`)}
      <label>State <select name="state" value=${filters.state}>
        ${STATES.map((s) => html`<option value=${s}>${s || 'any'}</option>`)}</select></label>
      <button type="submit">Search</button>
      <button type="button" onClick=${exportCsv}>Export CSV</button>
    </form>
    <${Status} state=${res} />
    ${res.data && html`<div>
      <p class="muted">${res.data.calls.length} calls from ${offset + 1}</p>
      <${Table} label="Calls" cols=${CALL_COLS} rows=${res.data.calls} rowKey=${(c) => c.call_uuid} />
      <nav class="pager" aria-label="Pages">
        <button disabled=${offset === 0} onClick=${() => setOffset(Math.max(0, offset - 50))}>Previous</button>
        <button disabled=${!res.data.more} onClick=${() => setOffset(offset + 50)}>Next</button>
      </nav></div>`}
  </section>`;
}

// ---- call detail: ladder, streams, charts -------------------------------------
function msgLabel(m) {
  return m.is_request ? (m.method || '?') : `${m.status_code ?? '?'} ${m.reason || ''}`.trim();
}

function Ladder({ messages, selected, onSelect }) {
  const hosts = [];
  const hostOf = (ip, port) => `${ip}:${port}`;
  for (const m of messages) {
    for (const hkey of [hostOf(m.src_ip, m.src_port), hostOf(m.dst_ip, m.dst_port)])
      if (!hosts.includes(hkey)) hosts.push(hkey);
  }
  const colW = 220, left = 110, top = 50, rowH = 30;
  const x = (hkey) => left + hosts.indexOf(hkey) * colW;
  const width = left + Math.max(1, hosts.length - 1) * colW + 120;
  const height = top + messages.length * rowH + 20;
  const t0 = messages.length ? messages[0].ts_us : 0;
  const key = (e, i) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); onSelect(i); } };
  return html`<svg class="ladder" width=${width} height=${height} role="img"
      aria-label=${`SIP ladder: ${messages.length} messages between ${hosts.length} hosts`}>
    <defs><marker id="arrowhead" markerWidth="10" markerHeight="8" refX="9" refY="4" orient="auto">
      <path d="M0,0 L10,4 L0,8 z" class="head" /></marker></defs>
    ${hosts.map((hk) => html`<g class="host">
      <text x=${x(hk)} y="20" text-anchor="middle">${hk}</text>
      <line x1=${x(hk)} y1="28" x2=${x(hk)} y2=${height} /></g>`)}
    ${messages.map((m, i) => {
      const y = top + i * rowH, x1 = x(hostOf(m.src_ip, m.src_port)), x2 = x(hostOf(m.dst_ip, m.dst_port));
      const label = msgLabel(m);
      return html`<g class=${'arrow' + (selected === i ? ' selected' : '')} tabindex="0" role="button"
          data-msg=${i} data-label=${label} data-src=${hostOf(m.src_ip, m.src_port)}
          data-dst=${hostOf(m.dst_ip, m.dst_port)}
          aria-label=${`${i + 1}: ${label} from ${hostOf(m.src_ip, m.src_port)} to ${hostOf(m.dst_ip, m.dst_port)}`}
          onClick=${() => onSelect(i)} onKeyDown=${(e) => key(e, i)}>
        <text x="4" y=${y + 4} class="time">+${((m.ts_us - t0) / 1e6).toFixed(3)}s</text>
        <line x1=${x1} y1=${y} x2=${x2 === x1 ? x1 + 40 : x2} y2=${y} marker-end="url(#arrowhead)" />
        <rect x=${Math.min(x1, x2)} y=${y - 14} width=${Math.max(40, Math.abs(x2 - x1))} height="18" class="hit" />
        <text x=${(x1 + x2) / 2} y=${y - 4} text-anchor="middle">${label}</text>
      </g>`;
    })}
  </svg>`;
}

function Chart({ title, data, series }) {
  const el = useRef(null);
  useEffect(() => {
    if (!el.current) return undefined;
    const u = new uPlot({
      title, width: Math.min(900, (el.current.clientWidth || 900)), height: 220,
      scales: { x: { time: true }, mos: { range: [1, 5] } },
      series: [{}, ...series],
      axes: [{}, { label: 'ms / packets' }, { scale: 'mos', side: 1, label: 'MOS', grid: { show: false } }],
    }, data, el.current);
    return () => u.destroy();
  }, [data]);
  return html`<figure class="chart" aria-label=${title} ref=${el}></figure>`;
}

function StreamCharts({ streams, intervals }) {
  return streams.map((s) => {
    const iv = intervals.filter((q) => q.stream_id === s.stream_id);
    if (!iv.length) return null;
    const data = [iv.map((q) => Date.parse(q.start_ts) / 1000), iv.map((q) => q.jitter_ms),
      iv.map((q) => q.lost), iv.map((q) => q.mos)];
    const title = `${s.direction || 'stream'} ${s.src_ip}:${s.src_port} → ${s.dst_ip}:${s.dst_port} (${s.codec || ''})`;
    return html`<${Chart} key=${s.stream_id} title=${title} data=${data} series=${[
      { label: 'jitter ms', stroke: '#1f77b4' }, { label: 'lost', stroke: '#d62728' },
      { label: 'MOS', scale: 'mos', stroke: '#2ca02c' }]} />`;
  });
}

const STREAM_COLS = [
  { title: 'Direction', key: 'direction' }, { title: 'From', cell: (s) => `${s.src_ip}:${s.src_port}` },
  { title: 'To', cell: (s) => `${s.dst_ip}:${s.dst_port}` }, { title: 'SSRC', key: 'ssrc' },
  { title: 'Codec', key: 'codec' }, { title: 'Packets', key: 'packets', cls: 'num' },
  { title: 'Lost', key: 'lost', cls: 'num' }, { title: 'Jitter ms', cell: (s) => fmtNum(s.jitter_ms), cls: 'num' },
  { title: 'Jitter max ms', cell: (s) => fmtNum(s.jitter_max_ms), cls: 'num' },
  { title: 'MOS', cell: (s) => fmtNum(s.mos), cls: 'num' },
];

const DTMF_COLS = [
  { title: 'Time', cell: (d) => fmtTime(d.ts) }, { title: 'Digit', key: 'digit' },
  { title: 'Duration ms', key: 'duration_ms', cls: 'num' }, { title: 'Source', key: 'source' },
  { title: 'Direction', key: 'direction' },
];
// Related legs: the same Call-ID, or the same caller and callee starting
// within 10 s (a B2BUA's other leg, a retry): the columns the store indexes.
const RELATED_COLS = [
  { title: 'Start', cell: (r) => html`<a href=${'#/call/' + r.call_uuid}>${fmtTime(r.start_ts)}</a>` },
  { title: 'Call-ID', key: 'call_id' }, { title: 'Caller', key: 'caller' }, { title: 'Callee', key: 'callee' },
  { title: 'From', key: 'src_ip' }, { title: 'To', key: 'dst_ip' },
  { title: 'State', cell: (r) => `${r.state} ${r.final_code ?? ''}` }, { title: 'Linked by', key: 'link' },
];
const alertHref = (a) => '#/alerts?' + new URLSearchParams({ type: a.alert_type, source: a.src_ip || '' }).toString();

// ---- the call page's SIPREC sessions ----------------------------------------
// The recording sessions a SIPREC server stored for this call (the API's
// "siprec": linked by the Call-ID its metadata names, or by participants).
// Participants, streams and the metadata document come from the SRC, so
// they are text nodes only; the metadata and the session's audio are
// listed for listeners and admins only (the API sends neither to viewers).
const SIPREC_PART_COLS = [
  { title: 'AOR', key: 'aor' }, { title: 'Name', key: 'name' }, { title: 'Role', key: 'role' },
  { title: 'Id', key: 'id' },
];
const SIPREC_STREAM_COLS = [
  { title: 'Label', key: 'label' }, { title: 'Codec', key: 'codec' },
  { title: 'Packets', key: 'packets', cls: 'num' }, { title: 'Lost', key: 'lost', cls: 'num' },
  { title: 'SRTP', cell: (t) => (t.srtp ? (t.srtp_suite || 'yes') : 'no') },
  { title: 'MOS', cell: (t) => fmtNum(t.mos), cls: 'num' }, { title: 'Sender', key: 'sender' },
];

function SiprecSession({ s, canListen }) {
  const parts = Array.isArray(s.participants) ? s.participants : [];
  const streams = Array.isArray(s.streams) ? s.streams : [];
  return html`<div class="siprec-session" data-testid="siprec-session">
    <dl class="facts">
      <dt>SRS Call-ID</dt><dd>${s.call_id}</dd><dt>State</dt><dd>${s.state}</dd>
      <dt>SRC</dt><dd>${`${s.src_ip ?? '?'}:${s.src_port ?? '?'}/${s.transport ?? '?'}`}</dd>
      <dt>Linked by</dt><dd>${s.matched_by}</dd>
      <dt>Start</dt><dd>${fmtTime(s.start_ts)}</dd><dt>End</dt><dd>${fmtTime(s.end_ts)}</dd>
    </dl>
    <h4>Participants</h4><${Table} label="SIPREC participants" cols=${SIPREC_PART_COLS} rows=${parts} />
    <h4>Recorded streams</h4><${Table} label="SIPREC streams" cols=${SIPREC_STREAM_COLS} rows=${streams} />
    ${canListen && html`<p class="downloads">Session audio <audio controls preload="none"
      src=${'/api/v1/siprec/' + encodeURIComponent(s.session_uuid) + '/audio'}
      aria-label="SIPREC session audio"></audio></p>`}
    ${canListen && typeof s.metadata_xml === 'string' && html`<details class="raw">
      <summary>Metadata (${s.metadata_xml_bytes ?? s.metadata_xml.length} bytes)</summary>
      <pre data-testid="siprec-metadata">${s.metadata_xml}</pre></details>`}
  </div>`;
}

function SiprecSection({ sessions, canListen }) {
  if (!Array.isArray(sessions) || !sessions.length) return null;
  return html`<section aria-label="SIPREC recording"><h3>SIPREC recording</h3>
    ${sessions.map((s) => html`<${SiprecSession} key=${s.session_uuid} s=${s} canListen=${canListen} />`)}
  </section>`;
}

function CallDetail({ uuid, session }) {
  const st = useApi('/calls/' + encodeURIComponent(uuid), [uuid]);
  const [sel, setSel] = useState(-1);
  useEffect(() => setSel(-1), [uuid]);
  if (!st.data) return html`<section><h2>Call</h2><${Status} state=${st} /></section>`;
  const { call, streams, intervals, messages, alerts } = st.data;
  const related = st.data.related || [];
  const dtmf = Array.isArray(call.dtmf) ? call.dtmf : [];
  const flags = Array.isArray(call.flags) ? call.flags : [];
  const canListen = session.role === 'listener' || session.role === 'admin';
  const m = sel >= 0 ? messages[sel] : null;
  return html`<section><h2>Call ${call.caller || '?'} → ${call.callee || '?'}</h2>
    <dl class="facts">
      <dt>Call-ID</dt><dd>${call.call_id}</dd><dt>State</dt><dd>${call.state} ${call.final_code ?? ''}</dd>
      <dt>Start</dt><dd>${fmtTime(call.start_ts)}</dd><dt>Duration</dt><dd>${fmtNum(call.duration_s, 1)} s</dd>
      <dt>MOS</dt><dd>${fmtNum(call.mos)}</dd><dt>User-Agent</dt><dd>${call.user_agent || ''}</dd>
      <dt>From</dt><dd>${call.from_uri || ''}</dd><dt>To</dt><dd>${call.to_uri || ''}</dd>
    </dl>
    ${flags.length > 0 && html`<h3>Flags</h3><ul class="flags">${flags.map((f) => html`<li>
      <strong>${f.flag}</strong> <code>${JSON.stringify(f.evidence || {})}</code></li>`)}</ul>`}
    ${canListen && html`<p class="downloads">
      <a href=${`/api/v1/calls/${uuid}/pcap`} download>Download pcap</a>
      <audio controls preload="none" src=${`/api/v1/calls/${uuid}/audio`} aria-label="Call audio"></audio></p>`}
    <${SiprecSection} sessions=${st.data.siprec} canListen=${canListen && st.data.siprec_audio} />
    <h3>SIP ladder (${messages.length} messages)</h3>
    <div class="ladder-wrap"><${Ladder} messages=${messages} selected=${sel} onSelect=${setSel} /></div>
    ${m && html`<div class="raw" aria-live="polite"><h4>Message ${sel + 1}: ${msgLabel(m)} at ${m.ts}</h4>
      <pre data-testid="raw">${m.raw}</pre></div>`}
    <h3>Streams</h3><${Table} label="Streams" cols=${STREAM_COLS} rows=${streams} />
    <h3>Quality over time</h3>
    ${intervals.length ? html`<${StreamCharts} streams=${streams} intervals=${intervals} />`
      : html`<p class="muted">No quality intervals stored for this call.</p>`}
    <h3>DTMF</h3>
    ${dtmf.length ? html`<${Table} label="DTMF" cols=${DTMF_COLS} rows=${dtmf} />`
      : html`<p class="muted">No DTMF in this call.</p>`}
    <h3>Related legs</h3>
    ${related.length ? html`<${Table} label="Related legs" cols=${RELATED_COLS} rows=${related} rowKey=${(r) => r.call_uuid} />`
      : html`<p class="muted">No other call with this Call-ID, nor between the same caller and callee within 10 s.</p>`}
    <h3>Alerts</h3>
    ${alerts.length ? html`<${Table} label="Call alerts" cols=${CALL_ALERT_COLS} rows=${alerts} />`
      : html`<p class="muted">No alert names this call.</p>`}
  </section>`;
}

// ---- alerts, registrations, live, status, users ------------------------------
const ALERT_COLS = [
  { title: 'Last', cell: (a) => fmtTime(a.last_ts) }, { title: 'Type', key: 'alert_type' },
  { title: 'Severity', key: 'severity' }, { title: 'Phase', key: 'phase' }, { title: 'Source', key: 'src_ip' },
  { title: 'Target user', key: 'target_user' }, { title: 'Count', key: 'count', cls: 'num' },
  { title: 'Summary', key: 'summary' },
  { title: 'Evidence', cell: (a) => html`<details><summary>show</summary><pre>${JSON.stringify(a.evidence, null, 1)}</pre></details>` },
];

const CALL_ALERT_COLS = [
  { title: 'Type', cell: (a) => html`<a href=${alertHref(a)}>${a.alert_type}</a>` },
  ...ALERT_COLS.filter((c) => c.title !== 'Type'),
];
const ALERTS_PAGE_COLS = [...ALERT_COLS, {
  title: 'Calls',
  cell: (a) => (a.calls || []).map((c) => html`<a class="call-link" href=${'#/call/' + c.call_uuid}>${c.call_id}</a> `),
}];

function Alerts({ initial }) {
  const [f, setF] = useState(initial || {});
  const st = useApi('/alerts?' + query(f), [JSON.stringify(f)]);
  const submit = (e) => { e.preventDefault(); setF(Object.fromEntries(new FormData(e.target))); };
  return html`<section><h2>Alerts</h2>
    <form class="filters" onSubmit=${submit} aria-label="Alert filters">
      <label>Type <input name="type" defaultValue=${f.type || ''} /></label><label>Severity <input name="severity" defaultValue=${f.severity || ''} /></label>
      <label>Source IP <input name="source" defaultValue=${f.source || ''} /></label><button type="submit">Filter</button></form>
    <${Status} state=${st} />${st.data && html`<${Table} label="Alerts" cols=${ALERTS_PAGE_COLS} rows=${st.data} />`}</section>`;
}

const REG_COLS = [
  { title: 'Time', cell: (r) => fmtTime(r.ts) }, { title: 'User', key: 'user' }, { title: 'AOR', key: 'aor' },
  { title: 'Contact', key: 'contact' }, { title: 'Expires', key: 'expires', cls: 'num' },
  { title: 'Code', key: 'final_code' }, { title: 'From', cell: (r) => `${r.src_ip}:${r.src_port}` },
  { title: 'Challenged', cell: (r) => (r.challenged ? 'yes' : 'no') },
];

function Registrations() {
  const st = useApi('/registrations', []);
  return html`<section><h2>Registrations</h2><${Status} state=${st} />
    ${st.data && html`<${Table} label="Registrations" cols=${REG_COLS} rows=${st.data} />`}</section>`;
}

// A stored total is an estimate (large tables are not counted row by row)
// when the status names it in `estimated`: shown as "about N".
function Counters({ s }) {
  const about = (k) => ((s.estimated || []).includes(k) ? `about ${s[k]}` : s[k]);
  return html`<dl class="counters">
    <dt>Calls in the last hour</dt><dd>${s.calls_last_hour}</dd>
    <dt>Calls stored</dt><dd>${about('calls_total')}</dd>
    <dt>Registrations stored</dt><dd>${about('registrations_total')}</dd>
    <dt>Alerts stored</dt><dd>${about('alerts_total')}</dd></dl>`;
}

// The live feed (/api/v1/live, a WebSocket): calls in progress keyed by
// call_key, the last ended calls with their MOS.  Events are applied in
// batches, at most four a second (a burst of a thousand calls costs a few
// renders instead of a thousand), to one store kept across renders: `order`
// holds the keys of the calls in progress sorted by start time then key (a
// stable order: an update never moves a row), rebuilt only when a call comes
// or goes; `version` tells a render the store changed.  Start times are
// RFC 3339 UTC with microseconds, all of one width: as strings they sort in
// time order at their full precision.
const liveCmp = (x, y) => (x < y ? -1 : x > y ? 1 : 0);
const liveByStart = (a, b) => liveCmp(a.start_ts || '', b.start_ts || '') || liveCmp(a.call_key, b.call_key);

function useLive() {
  const store = useRef(null);
  if (!store.current) store.current = { calls: new Map(), order: [], ended: [], events: 0 };
  const [st, setSt] = useState({ connected: false, version: 0 });
  useEffect(() => {
    const s = store.current;
    let ws;
    let closed = false;
    let timer;
    let pending = [];
    let flush = null;
    const apply = () => {
      const batch = pending;
      pending = [];
      flush = null;
      let moved = false;
      for (const e of batch) {
        if (e.type === 'call_started' || e.type === 'call_answered') {
          const old = s.calls.get(e.call_key);
          const c = { ...(old || {}), ...e, state: e.type === 'call_answered' ? 'answered' : 'ringing' };
          c.since = Date.parse(c.answer_ts || c.start_ts) || Date.now();
          if (!old || old.start_ts !== c.start_ts) moved = true;
          s.calls.set(e.call_key, c);
        } else if (e.type === 'call_ended') {
          if (s.calls.delete(e.call_key)) moved = true;
          s.ended.unshift(e);
        }
      }
      if (s.ended.length > 50) s.ended.length = 50;
      if (moved) s.order = [...s.calls.values()].sort(liveByStart).map((c) => c.call_key);
      s.events += batch.length;
      setSt((x) => ({ ...x, version: x.version + 1 }));
    };
    const connect = () => {
      ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api/v1/live`,
        'siphon-live-v1');
      ws.onopen = () => setSt((x) => ({ ...x, connected: true }));
      ws.onclose = () => {
        setSt((x) => ({ ...x, connected: false }));
        if (!closed) timer = setTimeout(connect, 3000);
      };
      ws.onmessage = (m) => {
        let e;
        try { e = JSON.parse(m.data); } catch (x) { return; }
        pending.push(e);
        if (!flush) flush = setTimeout(apply, 250);
      };
    };
    connect();
    return () => { closed = true; clearTimeout(timer); clearTimeout(flush); if (ws) ws.close(); };
  }, []);
  return { ...store.current, ...st };
}

const liveSecs = (since, now) => String(Math.max(0, Math.round((now - since) / 1000)));
const LIVE_COLS = [
  { title: 'Start', width: '17%', cell: (c) => fmtTime(c.start_ts) }, { title: 'Caller', width: '17%', key: 'caller' },
  { title: 'Callee', width: '17%', key: 'callee' }, { title: 'State', width: '10%', key: 'state' },
  { title: 'Duration s', width: '9%', dur: true, cls: 'num' }, { title: 'User-Agent', width: '30%', key: 'user_agent' },
];
const ENDED_COLS = [
  { title: 'End', cell: (c) => fmtTime(c.end_ts) }, { title: 'Caller', key: 'caller' },
  { title: 'Callee', key: 'callee' }, { title: 'State', key: 'state' }, { title: 'Code', key: 'final_code' },
  { title: 'MOS', cell: (c) => fmtNum(c.mos), cls: 'num' },
];

// The calls in progress as a windowed table: only the rows in view and up
// to LIVE_OVERSCAN more on either side are in the page (the window moves
// when fewer than LIVE_SLACK remain), each LIVE_ROW_H px high (app.css
// .vtable); the rows before and after the window stand as the table's top
// and bottom margins, so the scroll bar and the scroll position are those
// of the whole list.  The box's height is set (the list's, up to 60 % of
// the window) so that its contents are laid out and painted apart from the
// page (app.css: contain).  aria-rowcount and aria-rowindex give assistive
// technology the whole count and each row's place.  The scroll box is
// focusable: arrows, PageUp/PageDown, Home/End scroll it.  When calls come
// and go, the first row in view stays where it was (the browser's own
// scroll anchoring is off: the rows it would hold on to are replaced).  One
// timer a second writes the durations of the rows in the page into their
// cells' text nodes, without a render.
const LIVE_ROW_H = 28;
const LIVE_OVERSCAN = 16;
const LIVE_SLACK = 3;

function LiveCalls({ live }) {
  const box = useRef(null);
  const [win, setWin] = useState({ first: 0, last: 0 });
  const anchor = useRef(null); // the first row in view: { key, index, offset }
  const prevOrder = useRef(live.order);
  const { order, calls } = live;
  const n = order.length;
  const measure = () => {
    const el = box.current;
    if (!el) return;
    const top = el.scrollTop;
    const inView = Math.min(n, Math.floor(top / LIVE_ROW_H));
    anchor.current = top > 0 && inView < n ? { key: order[inView], index: inView, offset: top - inView * LIVE_ROW_H } : null;
    const endView = Math.min(n, Math.ceil((top + el.clientHeight) / LIVE_ROW_H));
    setWin((w) => {
      // kept while it covers the view and a few rows more: most scroll
      // steps then change nothing in the page, only the scroll offset
      if (w.first <= Math.max(0, inView - LIVE_SLACK) && Math.min(w.last, n) >= Math.min(n, endView + LIVE_SLACK) &&
          w.last - w.first <= endView - inView + 2 * LIVE_OVERSCAN) return w;
      return { first: Math.max(0, inView - LIVE_OVERSCAN), last: Math.min(n, endView + LIVE_OVERSCAN) };
    });
  };
  const measureRef = useRef(measure);
  measureRef.current = measure;
  useLayoutEffect(() => {
    const el = box.current;
    const a = anchor.current;
    const prev = prevOrder.current;
    prevOrder.current = order;
    if (el && a && prev !== order) {
      // the anchor row, or the first row after it still in progress, stays put
      const at = new Map(order.map((k, i) => [k, i]));
      for (let j = a.index; j < prev.length; j++) {
        const i = at.get(prev[j]);
        if (i === undefined) continue;
        const top = i * LIVE_ROW_H + (j === a.index ? a.offset : 0);
        if (el.scrollTop !== top) el.scrollTop = top;
        break;
      }
    }
    measure();
  }, [order]);
  useEffect(() => {
    const resize = () => measureRef.current();
    addEventListener('resize', resize);
    const t = setInterval(() => {
      if (!box.current) return;
      const now = Date.now();
      for (const td of box.current.querySelectorAll('td.dur')) {
        const text = td.firstChild;
        const v = liveSecs(Number(td.dataset.since), now);
        if (text && text.data !== v) text.data = v;
      }
    }, 1000);
    return () => { removeEventListener('resize', resize); clearInterval(t); };
  }, []);
  const last = Math.min(win.last, n);
  const first = Math.min(win.first, last);
  const now = Date.now();
  const rows = [];
  for (let i = first; i < last; i++) {
    const c = calls.get(order[i]);
    rows.push(html`<tr key=${order[i]} aria-rowindex=${i + 2}>${LIVE_COLS.map((col) => (col.dur
      ? html`<td class="num dur" data-since=${c.since}>${liveSecs(c.since, now)}</td>`
      : html`<td class=${col.cls || ''}>${col.cell ? col.cell(c) : String(c[col.key] ?? '')}</td>`))}</tr>`);
  }
  return html`<div class="vtable" ref=${box} tabindex="0" role="region" aria-label="Calls in progress, scrollable"
      style=${`height:min(60vh,${(n + 1) * LIVE_ROW_H + 2}px)`} onScroll=${measure}>
    <table aria-label="Calls in progress" aria-rowcount=${n + 1}
        style=${`margin-top:${first * LIVE_ROW_H}px;margin-bottom:${(n - last) * LIVE_ROW_H}px`}>
      <thead><tr aria-rowindex="1">${LIVE_COLS.map((c) => html`<th scope="col" style=${`width:${c.width}`}>${c.title}</th>`)}</tr></thead>
      <tbody>${rows}</tbody>
    </table></div>`;
}

function Live() {
  const st = useApi('/status', [], 5000);
  const live = useLive();
  return html`<section><h2>Live</h2>
    <p class="muted" role="status">${live.connected ? 'Connected' : 'Connecting…'}: ${live.events} events</p>
    ${st.data && html`<${Counters} s=${st.data} />`}
    <h3>Calls in progress (${live.order.length})</h3>
    <${LiveCalls} live=${live} />
    <h3>Just ended</h3>
    <${Table} label="Ended calls" cols=${ENDED_COLS} rows=${live.ended} />
  </section>`;
}

// ---- the overview -----------------------------------------------------------
function SeriesChart({ title, x, series }) {
  const el = useRef(null);
  useEffect(() => {
    if (!el.current) return undefined;
    const u = new uPlot({
      title, width: Math.min(900, (el.current.clientWidth || 900)), height: 180,
      scales: { x: { time: true } },
      series: [{}, ...series.map((s) => ({ label: s.label, stroke: s.stroke, spanGaps: true, scale: s.scale || 'y' }))],
      axes: [{}, { scale: series[0].scale || 'y', label: series[0].label },
        ...(series[1] ? [{ scale: series[1].scale || 'y', side: 1, label: series[1].label, grid: { show: false } }] : [])],
    }, [x, ...series.map((s) => s.values)], el.current);
    return () => u.destroy();
  }, [x, series]);
  return html`<figure class="chart" aria-label=${title} ref=${el}></figure>`;
}

const TOP_ALERT_COLS = [
  { title: 'Type', cell: (a) => html`<a href=${'#/alerts?type=' + encodeURIComponent(a.alert_type)}>${a.alert_type}</a>` },
  { title: 'Severity', key: 'severity' }, { title: 'Incidents', key: 'incidents', cls: 'num' },
  { title: 'Count', key: 'count', cls: 'num' }, { title: 'Last', cell: (a) => fmtTime(a.last_ts) },
];
const TOP_SOURCE_COLS = [
  { title: 'Source', cell: (a) => html`<a href=${'#/alerts?source=' + encodeURIComponent(a.src_ip)}>${a.src_ip}</a>` },
  { title: 'Incidents', key: 'incidents', cls: 'num' }, { title: 'Count', key: 'count', cls: 'num' },
];
const CONSUMER_COLS = [
  { title: 'Consumer', key: 'name' }, { title: 'Records', key: 'records', cls: 'num' },
  { title: 'Queued', key: 'queued', cls: 'num' }, { title: 'Dropped', key: 'dropped', cls: 'num' },
];

function Overview() {
  const st = useApi('/overview', [], 15000);
  if (!st.data) return html`<section><h2>Overview</h2><${Status} state=${st} /></section>`;
  const o = st.data, t = o.totals, hl = o.health || {}, s = o.series;
  const x = s.map((p) => p.t);
  const pct = (v) => (v === null || v === undefined ? '' : (100 * v).toFixed(1) + ' %');
  const live = hl.live_calls ?? o.calls_in_progress_stored;
  return html`<section><h2>Overview</h2>
    <dl class="counters" aria-label="Overview figures">
      <dt>Calls in progress</dt><dd data-testid="ov-live">${live}</dd>
      <dt>Calls, last ${o.minutes} min</dt><dd data-testid="ov-calls">${t.calls}</dd>
      <dt>Calls / min</dt><dd>${(t.calls / o.minutes).toFixed(2)}</dd>
      <dt>ASR</dt><dd data-testid="ov-asr">${pct(t.asr)}</dd>
      <dt>ACD</dt><dd data-testid="ov-acd">${t.acd_s === null ? '' : t.acd_s + ' s'}</dd>
      <dt>MOS</dt><dd data-testid="ov-mos">${fmtNum(t.mos)}</dd></dl>
    ${s.length ? html`
      <${SeriesChart} title="Calls per minute" x=${x} series=${[{ label: 'calls', stroke: '#1f77b4', values: s.map((p) => p.calls) }]} />
      <${SeriesChart} title="ASR and ACD" x=${x} series=${[
        { label: 'ASR %', stroke: '#2ca02c', values: s.map((p) => (p.asr === null ? null : 100 * p.asr)) },
        { label: 'ACD s', stroke: '#ff7f0e', scale: 'acd', values: s.map((p) => p.acd_s) }]} />
      <${SeriesChart} title="MOS" x=${x} series=${[{ label: 'MOS', stroke: '#9467bd', values: s.map((p) => p.mos) }]} />`
      : html`<p class="muted">No calls in the last ${o.minutes} minutes.</p>`}
    <h3>MOS distribution</h3>
    <${Table} label="MOS distribution" cols=${[{ title: 'MOS', key: 'range' }, { title: 'Calls', key: 'calls', cls: 'num' }]}
      rows=${o.mos_distribution} rowKey=${(r) => r.range} />
    <h3>Top alerts (last day)</h3>
    ${o.top_alerts.length ? html`<${Table} label="Top alerts" cols=${TOP_ALERT_COLS} rows=${o.top_alerts} />`
      : html`<p class="muted">No alerts in the last day.</p>`}
    ${o.top_alert_sources.length > 0 && html`<${Table} label="Top alert sources" cols=${TOP_SOURCE_COLS} rows=${o.top_alert_sources} />`}
    <h3>Health</h3>
    <dl class="counters" aria-label="Health">
      <dt>Database bytes</dt><dd>${hl.database_bytes}</dd>
      <dt>Recordings, last hour</dt><dd>${hl.recordings_last_hour}</dd>
      <dt>Recording bytes, last hour</dt><dd>${hl.recording_bytes_last_hour}</dd>
      <dt>Queries running / waiting</dt><dd>${hl.query_busy} / ${hl.query_queued}</dd>
      <dt>Downloads refused</dt><dd>${hl.downloads_refused}</dd></dl>
    ${hl.consumers && hl.consumers.length > 0 ? html`<${Table} label="Consumers" cols=${CONSUMER_COLS} rows=${hl.consumers} rowKey=${(c) => c.name} />`
      : html`<p class="muted">Capture consumers are shown inside siphon run.</p>`}
  </section>`;
}

function StatusPage() {
  const st = useApi('/status', [], 10000);
  if (!st.data) return html`<section><h2>Status</h2><${Status} state=${st} /></section>`;
  const s = st.data, w = s.web || {};
  return html`<section><h2>Status</h2><${Counters} s=${s} />
    <dl class="counters"><dt>Version</dt><dd>${w.version}</dd><dt>Schema</dt><dd>${s.schema_version}</dd>
      <dt>Database bytes</dt><dd>${s.database_bytes}</dd><dt>Dashboard uptime s</dt><dd>${w.uptime_s}</dd>
      <dt>Requests</dt><dd>${w.requests}</dd><dt>Refused (no session)</dt><dd>${w.rejected_auth}</dd>
      <dt>Refused (CSRF)</dt><dd>${w.rejected_csrf}</dd><dt>Log-ins rate limited</dt><dd>${w.rate_limited}</dd>
      <dt>Sessions</dt><dd>${w.sessions}</dd></dl></section>`;
}

function Users() {
  const [n, setN] = useState(0);
  const [msg, setMsg] = useState('');
  const st = useApi('/users', [n]);
  const add = async (e) => {
    e.preventDefault();
    try {
      await api('/users', { method: 'POST', body: new URLSearchParams(new FormData(e.target)).toString() });
      setMsg('saved'); setN(n + 1); e.target.reset();
    } catch (x) { setMsg(x.message); }
  };
  return html`<section><h2>Users</h2><${Status} state=${st} />
    ${st.data && html`<${Table} label="Users" cols=${[{ title: 'Name', key: 'name' }, { title: 'Role', key: 'role' },
      { title: 'Created', cell: (u) => fmtTime(u.created_at) }]} rows=${st.data} />`}
    <form class="filters" onSubmit=${add} aria-label="Add a user">
      <label>Name <input name="name" required /></label>
      <label>Role <select name="role"><option>viewer</option><option>listener</option><option>admin</option></select></label>
      <label>Password <input name="password" type="password" autocomplete="new-password" required minlength="8" /></label>
      <button type="submit">Add</button> <span role="status">${msg}</span></form></section>`;
}

// ---- the shell --------------------------------------------------------------
function App() {
  const [session, setSession] = useState(undefined);
  const hash = useHash();
  useEffect(() => {
    api('/session').then((s) => { csrf = s.csrf; setSession(s); }, () => setSession(null));
  }, []);
  if (session === undefined) return html`<p class="muted">Loading…</p>`;
  if (session === null) return html`<${Login} onLogin=${setSession} />`;
  const logout = async () => { try { await api('/logout', { method: 'POST' }); } finally { csrf = ''; setSession(null); } };
  const pages = [['#/overview', 'Overview'], ['#/live', 'Live'], ['#/search', 'Search'], ['#/alerts', 'Alerts'],
    ['#/registrations', 'Registrations'], ['#/status', 'Status']];
  if (session.role === 'admin') pages.push(['#/users', 'Users']);
  let page;
  if (hash.startsWith('#/call/')) page = html`<${CallDetail} uuid=${hash.slice(7)} session=${session} />`;
  else if (hash === '#/live') page = html`<${Live} />`;
  else if (hash === '#/overview') page = html`<${Overview} />`;
  else if (hash === '#/alerts' || hash.startsWith('#/alerts?')) {
    const q = Object.fromEntries(new URLSearchParams(hash.slice(9)));
    page = html`<${Alerts} key=${hash} initial=${q} />`;
  }
  else if (hash === '#/registrations') page = html`<${Registrations} />`;
  else if (hash === '#/status') page = html`<${StatusPage} />`;
  else if (hash === '#/users' && session.role === 'admin') page = html`<${Users} />`;
  else page = html`<${Search} />`;
  return html`<div class="shell">
    <header><span class="brand">siphon</span>
      <nav aria-label="Pages">${pages.map(([href, t]) => html`<a href=${href} aria-current=${hash === href ? 'page' : undefined}>${t}</a>`)}</nav>
      <span class="who">${session.user} (${session.role})</span>
      <button type="button" onClick=${logout}>Log out</button></header>
    <main>${page}</main></div>`;
}

render(html`<${App} />`, document.getElementById('app'));
