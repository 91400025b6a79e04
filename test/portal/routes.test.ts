/**
 * The portal's routes over real HTTP against a real dev server and worker: links and sessions, the report form and
 * its refusals, headquarters' dashboard, decisions and JSON API, the leader's view, the outbox, and the security
 * headers and error answers of every kind of request.
 */
import { connect } from 'node:net';
import { describe, expect, test } from 'vitest';
import { createPortal, type CaughtMail } from '../../client/portal/server.js';
import { newKeyring } from '../../security/keyring.js';
import { HQ_CREDENTIAL, periodStatus, token, usePortal, waitFor } from './harness.js';

const planId = `portal-routes-${process.pid}-${Date.now()}`;
const zhPlanId = `${planId}-zh`;
const h = usePortal('routes', [{ id: planId }, { id: zhPlanId, overrides: { locale: 'zh-CN', timezone: 'Asia/Shanghai', title: '试点计划' } }]);

const basic = (password: string, user = 'anyone') => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
const HQ = { authorization: basic(HQ_CREDENTIAL) };
const FORM = 'application/x-www-form-urlencoded';
const used: string[] = [];

function get(path: string, headers: Record<string, string> = {}) {
  return fetch(`${h.base}${path}`, { redirect: 'manual', headers });
}

function post(path: string, body: string | Record<string, string>, headers: Record<string, string> = {}) {
  const text = typeof body === 'string' ? body : new URLSearchParams(body).toString();
  return fetch(`${h.base}${path}`, { method: 'POST', redirect: 'manual', body: text, headers: { 'content-type': FORM, origin: h.base, ...headers } });
}

const reportLink = (unit: string, task: string, extra: Record<string, unknown> = {}) => {
  const t = token(h.ring, { p: 'report-link', plan: planId, task, unit, period: h.current, ...extra });
  used.push(t);
  return t;
};

const revisionsOf = async (task: string, unit: string, plan = planId) => (await periodStatus(h.db, plan, task, unit, h.current))!.revisions;

/** Follows a link through Continue; returns the session cookie (`name=value`). */
async function session(link: string, path = '/r/continue'): Promise<string> {
  const res = await post(path, { token: link });
  expect(res.status).toBe(303);
  return res.headers.getSetCookie()[0].split(';')[0];
}

/** The form's hidden fields, read from the page. */
async function formFields(cookie: string): Promise<{ csrf: string; requestId: string; html: string }> {
  const res = await get('/report', { cookie });
  expect(res.status).toBe(200);
  const html = await res.text();
  const field = (name: string) => new RegExp(`name="${name}" value="([^"]*)"`).exec(html)?.[1] ?? '';
  return { csrf: field('csrf'), requestId: field('requestId'), html };
}

const good = { status: 'on-track', summary: 'All milestones met.', progress: '12', problems: '', nextSteps: 'Keep going.', submittedBy: 'Ann' };

describe('links', () => {
  test('every bad link is refused with 403 "This link is not valid" and changes nothing', async () => {
    const valid = reportLink('alpha', 't1');
    const [head, body, sig] = valid.split('.');
    const payload = JSON.parse(Buffer.from(body, 'base64url').toString()) as Record<string, unknown>;
    const altered = `${head}.${Buffer.from(JSON.stringify({ ...payload, unit: 'beta', task: 't2' })).toString('base64url')}.${sig}`;
    const forged = `${head}.${body}.${Buffer.from('x'.repeat(32)).toString('base64url')}`;
    const cases: Record<string, string> = {
      'forged signature': forged,
      'altered payload': altered,
      expired: reportLink('alpha', 't1', { exp: Math.floor(Date.now() / 1000) - 60 }),
      'wrong purpose (a leader link)': token(h.ring, { p: 'leader-link', plan: planId, leader: 'lead-a', task: 't1', unit: 'alpha', period: h.current }),
      'wrong purpose (a session token)': token(h.ring, { p: 'report-session', plan: planId, task: 't1', unit: 'alpha', period: h.current }),
      'unknown key id': token(newKeyring('kother'), { p: 'report-link', plan: planId, task: 't1', unit: 'alpha', period: h.current }),
      'out of scope (beta is not responsible for t1)': reportLink('beta', 't1'),
      'out of scope (no such quarter)': reportLink('alpha', 't1', { period: '1999-Q1' }),
      'no scope at all': token(h.ring, { p: 'report-link', plan: planId }),
      'unknown plan': token(h.ring, { p: 'report-link', plan: 'no-such-plan', task: 't1', unit: 'alpha', period: h.current }),
      garbage: 'not-a-token',
      empty: '',
    };
    used.push(...Object.values(cases).filter(Boolean));
    for (const [name, t] of Object.entries(cases)) {
      const landing = await get(`/r/${t}`);
      expect(landing.status, name).toBe(403);
      expect(await landing.text(), name).toContain('This link is not valid');
      expect(landing.headers.getSetCookie(), name).toEqual([]);
      const cont = await post('/r/continue', { token: t });
      expect(cont.status, name).toBe(403);
      expect(cont.headers.getSetCookie(), name).toEqual([]);
    }
    // Leader links take the same care.
    const leaderBad = await get(`/l/${valid}`);
    expect(leaderBad.status).toBe(403);
    expect(await revisionsOf('t1', 'alpha')).toBe(0);
    expect(await revisionsOf('t2', 'beta')).toBe(0);
  });

  test('the landing page shows the report, sets no cookie and changes nothing', async () => {
    const link = reportLink('alpha', 't1');
    const before = await periodStatus(h.db, planId, 't1', 'alpha', h.current);
    const res = await get(`/r/${link}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(res.headers.getSetCookie()).toEqual([]);
    const html = await res.text();
    for (const s of ['Task One', 'Alpha Office', h.current, `Live test plan ${planId}`, 'action="/r/continue"', `name="token" value="${link}"`, 'Continue']) expect(html).toContain(s);
    expect(await periodStatus(h.db, planId, 't1', 'alpha', h.current)).toEqual(before);
  });

  test('continue sets an HttpOnly, SameSite=Strict session cookie and redirects to /report with no token in the address', async () => {
    const link = reportLink('alpha', 't1');
    const res = await post('/r/continue', { token: link });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/report');
    const [cookie] = res.headers.getSetCookie();
    expect(cookie).toMatch(/^rc_report=[A-Za-z0-9._-]+; /);
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('SameSite=Strict');
    expect(cookie).toContain('Path=/');
    expect(cookie).toContain('Max-Age=3600');
    expect(cookie).not.toContain('Secure'); // the portal is not served over https here
    expect(cookie).not.toContain(link);
    // Continue needs the portal's own origin too.
    expect((await post('/r/continue', { token: link }, { origin: 'https://evil.example' })).status).toBe(403);
  });
});

describe('the report form', () => {
  test('without a session cookie: 403; with one: task, unit, quarter, due day and lateness', async () => {
    const none = await get('/report');
    expect(none.status).toBe(403);
    expect(await none.text()).toContain('Your session has ended');
    const forged = await get('/report', { cookie: `rc_report=${reportLink('alpha', 't1')}` }); // a link is not a session
    expect(forged.status).toBe(403);

    const cookie = await session(reportLink('alpha', 't1'));
    const { html, csrf, requestId } = await formFields(cookie);
    for (const s of ['Task One', 'Alpha Office', h.current, 'Due on ', 'It is not late.', 'name="summary"', 'name="status"', 'name="progress"', 'name="problems"', 'name="nextSteps"', 'name="submittedBy"']) {
      expect(html).toContain(s);
    }
    expect(csrf).toMatch(/^[A-Za-z0-9_-]{20,}$/);
    expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(html).not.toContain('<script');
  });

  test('a refused submission shows each error next to its field and keeps what was typed', async () => {
    const cookie = await session(reportLink('alpha', 't1'));
    const { csrf, requestId } = await formFields(cookie);
    const res = await post('/report', { csrf, requestId, status: 'great', summary: '   ', progress: 'lots', problems: 'Kept <b>text</b>', nextSteps: '', submittedBy: 'Ann' }, { cookie });
    expect(res.status).toBe(400);
    const html = await res.text();
    expect(html).toMatch(/<textarea id="summary"[^>]*>\s*<\/textarea>\s*<p class="error" id="summary-error" data-field="summary">Please fill this in\.<\/p>/);
    expect(html).toMatch(/id="progress" name="progress" value="lots"[^>]*>\s*<p class="error" id="progress-error" data-field="progress">Please enter a number, such as 42 or 37\.5\.<\/p>/);
    expect(html).toMatch(/<\/select>\s*<p class="error" id="status-error" data-field="status">Please choose one of the options\.<\/p>/);
    expect(html).toContain('Kept &lt;b&gt;text&lt;/b&gt;</textarea>');
    expect(html).toContain(`name="requestId" value="${requestId}"`);
    expect(await revisionsOf('t1', 'alpha')).toBe(0);
  });

  test('foreign or missing origin, missing CSRF, too large, wrong type or malformed bodies are refused', async () => {
    const cookie = await session(reportLink('alpha', 't1'));
    const { csrf, requestId } = await formFields(cookie);
    const body = { ...good, csrf, requestId };
    const cases: [string, Promise<Response>, number][] = [
      ['foreign origin', post('/report', body, { cookie, origin: 'https://evil.example' }), 403],
      ['cross-site fetch', post('/report', body, { cookie, origin: 'null', 'sec-fetch-site': 'cross-site' }), 403],
      ['no origin at all', fetch(`${h.base}/report`, { method: 'POST', body: new URLSearchParams(body).toString(), headers: { cookie, 'content-type': FORM } }), 403],
      ['foreign referer only', fetch(`${h.base}/report`, { method: 'POST', body: new URLSearchParams(body).toString(), headers: { cookie, 'content-type': FORM, referer: 'https://evil.example/x' } }), 403],
      ['missing CSRF', post('/report', { ...good, requestId }, { cookie }), 403],
      ['wrong CSRF', post('/report', { ...body, csrf: 'A'.repeat(43) }, { cookie }), 403],
      ['CSRF of another session', post('/report', body, { cookie: await session(reportLink('alpha', 't1')) }), 403],
      ['too large', post('/report', { ...body, summary: 'x'.repeat(70 * 1024) }, { cookie }), 413],
      ['JSON', post('/report', JSON.stringify(body), { cookie, 'content-type': 'application/json' }), 415],
      ['multipart', post('/report', 'x', { cookie, 'content-type': 'multipart/form-data; boundary=x' }), 415],
      ['malformed percent-encoding', post('/report', `csrf=${csrf}&summary=%E0%A4%A&requestId=${requestId}`, { cookie }), 400],
      ['invalid UTF-8', post('/report', `csrf=${csrf}&summary=%FF%FE&requestId=${requestId}`, { cookie }), 400],
      ['a field twice', post('/report', `csrf=${csrf}&summary=a&summary=b&requestId=${requestId}`, { cookie }), 400],
    ];
    for (const [name, res, status] of cases) {
      const r = await res;
      expect(r.status, name).toBe(status);
      expect(r.headers.get('content-security-policy'), name).toContain("default-src 'none'");
    }
    expect(await revisionsOf('t1', 'alpha')).toBe(0);
  });

  test('a submission with a script is stored as text; the receipt says on time; a double click is applied once', async () => {
    const cookie = await session(reportLink('alpha', 't1'));
    const { csrf, requestId } = await formFields(cookie);
    const body = { ...good, csrf, requestId, summary: 'Done <script>alert(1)</script> & more', problems: '"quoted" \'single\'' };
    const res = await post('/report', body, { cookie });
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('Your report was received on time (revision 1).');
    const again = await post('/report', body, { cookie });
    expect(await again.text()).toContain('This submission had already been received; it was not recorded twice.');
    expect(await revisionsOf('t1', 'alpha')).toBe(1);

    // The form now comes pre-filled with that report, escaped.
    const form = await formFields(cookie);
    expect(form.html).toContain('Done &lt;script&gt;alert(1)&lt;/script&gt; &amp; more</textarea>');
    expect(form.html).toContain('One revision has been received so far');
    expect(form.html).not.toContain('<script>');

    const page = await get(`/hq/plans/${planId}/reports/t1/alpha/${h.current}`, HQ);
    const hq = await page.text();
    expect(hq).toContain('Done &lt;script&gt;alert(1)&lt;/script&gt; &amp; more');
    expect(hq).toContain('&quot;quoted&quot; &#39;single&#39;');
    expect(hq).not.toMatch(/<script/i);
  });

  test("the engine's refusal is told next to the field it names, with the status of its kind (a quarter not requested yet: 409)", async () => {
    const cookie = await session(reportLink('alpha', 't1', { period: h.next }));
    const { csrf, requestId } = await formFields(cookie);
    const res = await post('/report', { ...good, csrf, requestId }, { cookie });
    expect(res.status).toBe(409);
    const html = await res.text();
    expect(html).toMatch(new RegExp(`<td>${h.next}<p class="error" id="period-error" data-field="period">The report for ${h.next} has not been requested yet; the request goes out on [^<]+ UTC\\.</p></td>`));
    expect(html).toContain('All milestones met.</textarea>'); // what was typed is kept
    expect(html).toContain(`name="requestId" value="${requestId}"`);
    expect(await periodStatus(h.db, planId, 't1', 'alpha', h.next)).toMatchObject({ revisions: 0, state: 'scheduled' });
  });

  test("a unit's session never reaches another unit's report, whatever the request says", async () => {
    const cookie = await session(reportLink('alpha', 't1'));
    const seen = await get(`/report?plan=${planId}&taskId=t2&unitId=beta&period=${h.current}`, { cookie });
    const html = await seen.text();
    expect(html).toContain('Alpha Office');
    expect(html).not.toContain('Beta Office');
    expect(html).not.toContain('Task Two');

    const { csrf, requestId } = await formFields(cookie);
    const res = await post('/report', { ...good, csrf, requestId, planId: 'other', taskId: 't2', unitId: 'beta', period: '2020-Q1', summary: 'second' }, { cookie });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('(revision 2)');
    expect(await revisionsOf('t2', 'beta')).toBe(0);
    expect(await revisionsOf('t1', 'alpha')).toBe(2);

    // Nor headquarters' pages, nor the API, nor other paths.
    expect((await get(`/hq/plans/${planId}/reports/t2/beta/${h.current}`, { cookie })).status).toBe(401);
    expect((await get(`/api/hq/plans/${planId}/reports/t2/beta/${h.current}`, { cookie })).status).toBe(401);
    expect((await get(`/report/beta`, { cookie })).status).toBe(404);
    expect((await get('/leader', { cookie: cookie.replace('rc_report', 'rc_leader') })).status).toBe(403);
  });
});

describe('headquarters', () => {
  test('no credential or a wrong one: 401; the right one (Basic with any user, or signed in): 200', async () => {
    const none = await get('/hq');
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Basic realm=/);
    expect((await get('/hq', { authorization: basic('wrong') })).status).toBe(401);
    expect((await get('/hq', { authorization: basic(`${HQ_CREDENTIAL}x`) })).status).toBe(401);
    expect((await get('/hq', { authorization: 'Bearer x' })).status).toBe(401);
    expect((await get('/api/hq/plans')).status).toBe(401);
    expect(await (await get('/api/hq/plans')).json()).toMatchObject({ error: expect.stringContaining('sign-in') });
    const ok = await get('/hq', { authorization: basic(HQ_CREDENTIAL, 'someone-else') });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain(planId);

    // The sign-in form: double-submit CSRF, then a session cookie.
    const form = await get('/hq/login');
    const loginCookie = form.headers.getSetCookie()[0].split(';')[0];
    const csrf = /name="csrf" value="([^"]+)"/.exec(await form.text())![1];
    expect((await post('/hq/login', { csrf, credential: HQ_CREDENTIAL })).status).toBe(403); // no CSRF cookie
    expect((await post('/hq/login', { csrf, credential: HQ_CREDENTIAL }, { cookie: loginCookie, origin: 'https://evil.example' })).status).toBe(403);
    expect((await post('/hq/login', { csrf, credential: 'wrong' }, { cookie: loginCookie })).status).toBe(401);
    const signedIn = await post('/hq/login', { csrf, credential: HQ_CREDENTIAL }, { cookie: loginCookie });
    expect(signedIn.status).toBe(303);
    const hqCookie = signedIn.headers.getSetCookie().find((c) => c.startsWith('rc_hq='))!;
    expect(hqCookie).toContain('HttpOnly');
    expect(hqCookie).toContain('SameSite=Strict');
    expect((await get('/hq', { cookie: hqCookie.split(';')[0] })).status).toBe(200);
    expect((await get('/hq', { cookie: 'rc_hq=abc.99999999999.def' })).status).toBe(401);
  });

  test('the dashboard: counts by state per aspect, unit and quarter; an aspect opens its heatmap with links to reports; a lagging filter on both', async () => {
    const res = await get(`/hq/plans/${planId}`, HQ);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain(`<a href="/hq/plans/${planId}/aspects/a">Aspect A</a>`);
    // One report of each unit requested this quarter (alpha's is in), the next quarter scheduled.
    expect(html).toMatch(/<tr data-aspect="a"><th>[^]*?<\/th><td>2<\/td>[^]*?<td data-state="requested">1<\/td><td data-state="submitted">1<\/td>/);
    expect(html).toMatch(/<tr data-unit="alpha"><th>Alpha Office<\/th><td>1<\/td><td data-state="untracked">0<\/td><td data-state="scheduled">1<\/td><td data-state="requested">0<\/td><td data-state="submitted">1<\/td>/);
    expect(html).toMatch(/<tr data-unit="beta"><th>Beta Office<\/th><td>1<\/td><td data-state="untracked">0<\/td><td data-state="scheduled">1<\/td><td data-state="requested">1<\/td>/);
    expect(html).toMatch(new RegExp(`<tr data-period="${h.current}"><th>${h.current}</th><td data-state="untracked">0</td><td data-state="scheduled">0</td><td data-state="requested">1</td><td data-state="submitted">1</td>`));
    expect(html).not.toContain('data-lagging="true"');
    expect(html).not.toContain('<table class="heat">'); // the whole plan's heatmap is no longer on this page
    for (const s of ['Not tracked', 'Scheduled', 'Requested', 'Submitted', 'Submitted late', 'Overdue', 'Escalated', 'Accepted', 'Returned', 'Lagging reports']) expect(html).toContain(s);
    const lagging = await (await get(`/hq/plans/${planId}?lagging=1`, HQ)).text();
    expect(lagging).toContain('No unit is lagging.');
    expect(lagging).toContain(`<a href="/hq/plans/${planId}/aspects/a?lagging=1">Aspect A</a>`);
    expect(lagging).not.toContain('data-unit=');

    const drill = await get(`/hq/plans/${planId}/aspects/a`, HQ);
    expect(drill.status).toBe(200);
    const map = await drill.text();
    expect(map).toMatch(new RegExp(`<td class="cell s-submitted" data-task="t1" data-unit="alpha" data-period="${h.current}" data-state="submitted"`));
    expect(map).toMatch(new RegExp(`<td class="cell s-requested" data-task="t2" data-unit="beta" data-period="${h.current}" data-state="requested"`));
    expect(map).toMatch(new RegExp(`<td class="cell s-scheduled" data-task="t2" data-unit="beta" data-period="${h.next}" data-state="scheduled"`));
    expect(map).toContain(`href="/hq/plans/${planId}/reports/t1/alpha/${h.current}"`);
    expect(map).toContain(`href="/hq/plans/${planId}/tasks/t1"`);
    expect(map).toContain('Aspect A');
    expect(await (await get(`/hq/plans/${planId}/aspects/a?lagging=1`, HQ)).text()).toContain('No unit is lagging.');
    expect((await get('/hq/plans/no-such-plan', HQ)).status).toBe(404);
    expect((await get(`/hq/plans/${planId}/aspects/nope`, HQ)).status).toBe(404);
    expect((await get('/hq/plans/no-such-plan/aspects/a', HQ)).status).toBe(404);
    expect((await get(`/hq/plans/${planId}/aspects/a`)).status).toBe(401);
  });

  test("a task's timeline lists its notices and reports", async () => {
    const res = await get(`/hq/plans/${planId}/tasks/t1`, HQ);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('data-kind="request"');
    expect(html).toContain('data-kind="report"');
    expect((await get(`/hq/plans/${planId}/tasks/nope`, HQ)).status).toBe(404);
  });

  test('return needs a comment; with one, a receipt with the revision due day, the unit is told, and the unit sees it', async () => {
    const path = `/hq/plans/${planId}/reports/t1/alpha/${h.current}`;
    const page = await (await get(path, HQ)).text();
    const csrf = /name="csrf" value="([^"]+)"/.exec(page)![1];
    expect((await post(`${path}/return`, { csrf, comment: 'x' }, { ...HQ, origin: 'https://evil.example' })).status).toBe(403);
    expect((await post(`${path}/return`, { comment: 'x' }, HQ)).status).toBe(403);

    const empty = await post(`${path}/return`, { csrf, comment: '  ', by: 'Desk' }, HQ);
    expect(empty.status).toBe(400);
    expect(await empty.text()).toMatch(/<textarea id="comment"[^>]*>\s+<\/textarea>\s*<p class="error" id="comment-error" data-field="comment">must say what to revise when returning a report<\/p>/);

    const res = await post(`${path}/return`, { csrf, comment: 'Add the <figures>.', by: 'Desk', requestId: 'ret-1' }, HQ);
    expect(res.status).toBe(200);
    const receipt = await res.text();
    expect(receipt).toMatch(/The report is returned for revision \(time 1\)\. The revision is due on [^;]+; the unit has been notified\./);
    // The database follows the engine's Update closely, not at once.
    const status = await waitFor('the return recorded', async () => {
      const st = await periodStatus(h.db, planId, 't1', 'alpha', h.current);
      return st?.review === 'returned' ? st : undefined;
    });
    expect(status).toMatchObject({ review: 'returned', round: 1 });
    expect(status.revisionDueAt).not.toBeNull();

    await waitFor('the returned notice', async () => h.sink.messages.find((m) => m.headers.get('x-review-cycles-kind') === 'returned' && m.to.includes('alpha@example.org')));

    const cookie = await session(reportLink('alpha', 't1'));
    const form = (await formFields(cookie)).html;
    expect(form).toContain('Headquarters returned the report; the revision is due on');
    expect(form).toContain('Add the &lt;figures&gt;.');

    // Returned and awaiting its revision: alpha is lagging, on the dashboard and in the aspect's heatmap.
    const dash = await (await get(`/hq/plans/${planId}`, HQ)).text();
    expect(dash).toMatch(/<tr data-unit="alpha" data-lagging="true" class="lagging"><th>Alpha Office <b class="lagging-mark">Lagging<\/b><\/th>[^]*?<td data-lagging-reports>1<\/td>/);
    expect(dash).toMatch(/<tr data-unit="beta"><th>Beta Office<\/th>/);
    const laggingDash = await (await get(`/hq/plans/${planId}?lagging=1`, HQ)).text();
    expect(laggingDash).toContain('data-unit="alpha"');
    expect(laggingDash).not.toContain('data-unit="beta"');
    expect(laggingDash).toMatch(/<tr data-aspect="a" data-lagging="true" class="lagging"><th><a href="[^"]+\/aspects\/a\?lagging=1">Aspect A<\/a><\/th><td>2<\/td>/);
    const lagging = await (await get(`/hq/plans/${planId}/aspects/a?lagging=1`, HQ)).text();
    expect(lagging).toContain('data-unit="alpha"');
    expect(lagging).not.toContain('data-unit="beta"');
    expect(lagging).toMatch(/data-unit="alpha" data-period="[^"]+" data-state="requested" data-review="returned"/);
    const all = await (await get(`/hq/plans/${planId}/aspects/a`, HQ)).text();
    expect(all).toContain('data-unit="beta"');
  });

  test('the JSON API: shapes, credential, and errors with status codes', async () => {
    const plans = (await (await get('/api/hq/plans', HQ)).json()) as { planId: string; title: string; startTime: string; version: number }[];
    expect(plans.find((p) => p.planId === planId)).toMatchObject({ planId, title: `Live test plan ${planId}`, startTime: expect.any(String), version: 1 });

    const status = await (await get(`/api/hq/plans/${planId}/status`, HQ)).json();
    expect(status).toMatchObject({ planId, tasks: [{ taskId: 't1', units: [{ unitId: 'alpha' }] }, { taskId: 't2', units: [{ unitId: 'beta' }] }] });

    const summary = (await (await get(`/api/hq/plans/${planId}/summary`, HQ)).json()) as { totals: { counts: Record<string, number> } };
    expect(summary).toMatchObject({
      planId,
      periods: [{ period: h.current, tracked: true }, { period: h.next, tracked: true }],
      aspects: [{ aspectId: 'a', title: 'Aspect A', tasks: 2, pairs: 2, units: [{ unitId: 'alpha', pairs: 1 }, { unitId: 'beta', pairs: 1 }] }],
      units: [{ unitId: 'alpha', name: 'Alpha Office', pairs: 1 }, { unitId: 'beta', name: 'Beta Office', pairs: 1 }],
      laggingUnits: expect.any(Array),
    });
    expect(Object.values(summary.totals.counts).reduce((a, b) => a + b, 0)).toBe(4);
    expect(summary.totals.counts.scheduled).toBe(2);
    const drill = await (await get(`/api/hq/plans/${planId}/aspects/a`, HQ)).json();
    expect(drill).toMatchObject({ planId, aspectId: 'a', periods: [h.current, h.next], tasks: [{ taskId: 't1', units: [{ unitId: 'alpha', cells: [{ period: h.current }, { period: h.next, state: 'scheduled' }] }] }, { taskId: 't2' }] });

    const timeline = (await (await get(`/api/hq/plans/${planId}/tasks/t1/timeline`, HQ)).json()) as { kind: string }[];
    expect(timeline.map((e) => e.kind)).toEqual(expect.arrayContaining(['request', 'report', 'returned']));

    const report = await (await get(`/api/hq/plans/${planId}/reports/t1/alpha/${h.current}`, HQ)).json();
    expect(report).toMatchObject({ planId, taskId: 't1', unitId: 'alpha', period: h.current, status: { review: 'returned' }, revisions: [{ summary: expect.stringContaining('<script>') }, { summary: 'second' }] });

    const api = (path: string, body: string, headers: Record<string, string> = {}) =>
      fetch(`${h.base}/api/hq/plans/${path}`, { method: 'POST', body, headers: { ...HQ, 'content-type': 'application/json', ...headers } });
    const expectError = async (res: Response | Promise<Response>, status: number, field?: string) => {
      const r = await res;
      expect(r.status).toBe(status);
      expect(r.headers.get('content-type')).toContain('application/json');
      const j = (await r.json()) as { error: string; field?: string };
      expect(j.error).toEqual(expect.any(String));
      if (field) expect(j.field).toBe(field);
    };
    await expectError(get('/api/hq/plans/no-such-plan/status', HQ), 404);
    await expectError(get('/api/hq/plans/no-such-plan/summary', HQ), 404);
    await expectError(get(`/api/hq/plans/${planId}/aspects/nope`, HQ), 404, 'aspectId');
    await expectError(get(`/api/hq/plans/${planId}/summary`), 401);
    await expectError(get(`/api/hq/plans/${planId}/reports/nope/alpha/${h.current}`, HQ), 404);
    await expectError(get(`/api/hq/plans/${planId}/nothing`, HQ), 404);
    await expectError(api(`${planId}/reports/t1/alpha/${h.current}/return`, '{"comment":"x"}', { authorization: basic('wrong') }), 401);
    await expectError(api(`${planId}/reports/t1/alpha/${h.current}/return`, 'comment=x', { 'content-type': FORM }), 415);
    await expectError(api(`${planId}/reports/t1/alpha/${h.current}/return`, '{"comment":'), 400);
    await expectError(api(`${planId}/reports/t1/alpha/${h.current}/return`, '{"comment":"x","unitId":"beta"}'), 400, 'unitId');
    await expectError(api(`${planId}/reports/t2/beta/${h.current}/return`, '{"comment":" "}'), 400, 'comment');
    await expectError(api(`${planId}/reports/t2/beta/${h.current}/accept`, '{}'), 409, 'period'); // nothing submitted yet
    await expectError(api(`${planId}/reports/t1/alpha/${h.current}/return`, '{"comment":"again"}'), 409); // awaiting its revision
    await expectError(api(`${planId}/reports/t1/alpha/${h.current}/return`, JSON.stringify({ comment: 'x'.repeat(70 * 1024) })), 413);
    await expectError(api(`${planId}/reports/t1/alpha/${h.current}/return`, '{"comment":"x"}', { origin: 'https://evil.example' }), 403);
    await expectError(fetch(`${h.base}/api/hq/plans`, { method: 'DELETE', headers: HQ }), 405);
  });

  test('accept locks: the unit sees it locked, its later POST says so (409), and the API refuses a return (409)', async () => {
    const cookie = await session(reportLink('beta', 't2'));
    const { csrf, requestId } = await formFields(cookie);
    expect((await post('/report', { ...good, csrf, requestId, summary: 'Beta report' }, { cookie })).status).toBe(200);

    const accepted = await fetch(`${h.base}/api/hq/plans/${planId}/reports/t2/beta/${h.current}/accept`, {
      method: 'POST',
      body: JSON.stringify({ by: 'Desk' }),
      headers: { ...HQ, 'content-type': 'application/json' },
    });
    expect(accepted.status).toBe(200);
    expect(await accepted.json()).toMatchObject({ taskId: 't2', unitId: 'beta', period: h.current, decision: 'accept', revisionDueAt: null, duplicate: false });
    await waitFor('the acceptance recorded', async () => ((await periodStatus(h.db, planId, 't2', 'beta', h.current))?.review === 'accepted' ? true : undefined));

    const form = (await formFields(cookie)).html;
    expect(form).toContain('Headquarters has accepted this report: it is locked and can no longer be changed.');
    expect(form).not.toContain('<form method="post" action="/report"');
    const later = await post('/report', { ...good, csrf, requestId: 'later-1', summary: 'Changed' }, { cookie });
    expect(later.status).toBe(409);
    expect(await later.text()).toContain('it is locked');
    expect(await revisionsOf('t2', 'beta')).toBe(1);

    const ret = await fetch(`${h.base}/api/hq/plans/${planId}/reports/t2/beta/${h.current}/return`, {
      method: 'POST',
      body: JSON.stringify({ comment: 'too late' }),
      headers: { ...HQ, 'content-type': 'application/json' },
    });
    expect(ret.status).toBe(409);
    expect(await ret.json()).toMatchObject({ error: expect.stringContaining('locked'), field: 'decision', refusals: [{ field: 'decision', code: 'locked' }] });
    const page = await (await get(`/hq/plans/${planId}/reports/t2/beta/${h.current}`, HQ)).text();
    expect(page).toContain('Accepted: the report is locked.');
    expect(page).not.toContain('/return"');
  });
});

describe('leaders', () => {
  test("a leader's link opens a read-only view of that leader's units only", async () => {
    const link = token(h.ring, { p: 'leader-link', plan: planId, leader: 'lead-a' });
    used.push(link);
    const landing = await get(`/l/${link}`);
    expect(landing.status).toBe(200);
    expect(landing.headers.getSetCookie()).toEqual([]);
    expect(await landing.text()).toContain('Leader of Alpha');
    expect((await get(`/l/${token(h.ring, { p: 'leader-link', plan: planId, leader: 'nobody' })}`)).status).toBe(403);
    expect((await get(`/l/${reportLink('alpha', 't1')}`)).status).toBe(403);

    const cookie = await session(link, '/l/continue');
    expect(cookie).toMatch(/^rc_leader=/);
    const view = await get('/leader', { cookie });
    expect(view.status).toBe(200);
    const html = await view.text();
    expect(html).toContain('Alpha Office');
    expect(html).not.toContain('Beta Office');
    expect(html).toContain('Returned, awaiting revision');
    expect(html).toMatch(/<table class="heat">[\s\S]*data-unit="alpha"/);
    expect(html).not.toContain('data-unit="beta"');
    expect(html).not.toContain('<form method="post" action="/report"');
    expect((await get('/leader')).status).toBe(403);
  });
});

describe('every response', () => {
  test('carries the security headers; unknown routes 404, wrong methods 405, malformed addresses 400', async () => {
    const responses = [await get('/'), await get(`/r/${reportLink('alpha', 't1')}`), await get('/r/bad'), await get('/nope'), await get('/api/hq/plans', HQ), await get('/hq')];
    for (const r of responses) {
      expect(r.headers.get('content-security-policy')).toBe("default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
      expect(r.headers.get('x-content-type-options')).toBe('nosniff');
      expect(r.headers.get('x-frame-options')).toBe('DENY');
      expect(r.headers.get('referrer-policy')).toBe('no-referrer');
      expect(r.headers.get('cache-control')).toBe('no-store');
    }
    expect((await get('/nope')).status).toBe(404);
    expect((await get('/hq/plans')).status).toBe(404);
    const wrong = await fetch(`${h.base}/report`, { method: 'PUT', body: 'x' });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('GET, POST');
    expect((await fetch(`${h.base}/r/continue`, { method: 'DELETE' })).status).toBe(405);
    expect((await get('/hq/plans/%E0%A4%A', HQ)).status).toBe(400);
    expect((await get('/r/%ZZ')).status).toBe(400);
    expect((await fetch(`${h.base}/report`, { method: 'HEAD' })).status).toBe(403);
  });

  test('a request node cannot parse gets a 400 and the server keeps serving', async () => {
    const { port } = new URL(h.base);
    const reply = await new Promise<string>((ok, fail) => {
      const socket = connect(Number(port), '127.0.0.1', () => socket.write('GARBAGE \x00\x01 nonsense\r\n\r\n'));
      let data = '';
      socket.on('data', (d) => (data += d.toString()));
      socket.on('end', () => ok(data));
      socket.on('error', fail);
    });
    expect(reply).toMatch(/^HTTP\/1\.1 400/);
    expect((await get('/')).status).toBe(200);
  });

  test('pages are in the plan language and time zone; a link of a zh-CN plan is refused in Chinese', async () => {
    const link = token(h.ring, { p: 'report-link', plan: zhPlanId, task: 't1', unit: 'alpha', period: h.current });
    used.push(link);
    const landing = await (await get(`/r/${link}`)).text();
    expect(landing).toContain('<html lang="zh-CN">');
    expect(landing).toContain('进展报告');
    const cookie = await session(link);
    const form = (await formFields(cookie)).html;
    expect(form).toMatch(/截止日：\d{4}年\d{1,2}月\d{1,2}日/);
    const expired = token(h.ring, { p: 'report-link', plan: zhPlanId, task: 't1', unit: 'alpha', period: h.current, exp: Math.floor(Date.now() / 1000) - 1 });
    used.push(expired);
    const refused = await get(`/r/${expired}`);
    expect(refused.status).toBe(403);
    expect(await refused.text()).toContain('此链接无效');
    const dash = await (await get(`/hq/plans/${zhPlanId}`, HQ)).text();
    expect(dash).toContain('已发出请求');
    expect(dash).toContain('按方面和单位的报告情况');
    expect(dash).toContain('滞后报告');
    const heat = await (await get(`/hq/plans/${zhPlanId}/aspects/a`, HQ)).text();
    expect(heat).toContain('Aspect A：按任务、单位和季度的报告情况');
    expect(heat).toMatch(/data-state="requested" title="已发出请求"/);
  });

  test("a refusal on a zh-CN plan's form is told in Chinese next to its field, in the plan's time zone, with its status", async () => {
    const link = token(h.ring, { p: 'report-link', plan: zhPlanId, task: 't1', unit: 'alpha', period: h.next });
    used.push(link);
    const cookie = await session(link);
    const { csrf, requestId } = await formFields(cookie);
    const res = await post('/report', { ...good, csrf, requestId }, { cookie });
    expect(res.status).toBe(409);
    const html = await res.text();
    expect(html).toContain('<html lang="zh-CN">');
    const said = new RegExp(`<td>${h.next}<p class="error" id="period-error" data-field="period">([^<]+)</p></td>`).exec(html)?.[1];
    expect(said).toMatch(new RegExp(`^${h.next} 的报告尚未开始征集，将于 \\d{4}年\\d{1,2}月\\d{1,2}日 GMT\\+8 \\d{2}:\\d{2} 发出报送请求。$`));
    expect(html).toContain('<p>报告未提交。</p>');
    expect(html).not.toContain('has not been requested');
    expect(await periodStatus(h.db, zhPlanId, 't1', 'alpha', h.next)).toMatchObject({ revisions: 0 });
  });

  test('no log line ever contains a token', () => {
    expect(h.logs.length).toBeGreaterThan(50);
    expect(h.logs.some((l) => l.includes('/r/[token]'))).toBe(true);
    for (const t of used) {
      const signature = t.split('.')[2];
      for (const line of h.logs) {
        if (signature) expect(line).not.toContain(signature);
        if (t) expect(line).not.toContain(t);
      }
    }
  });
});

describe('outbox', () => {
  test('without a mail store: 404 with a clear message', async () => {
    const page = await get('/outbox');
    expect(page.status).toBe(404);
    expect(await page.text()).toContain('No mail catcher is configured');
    const api = await get('/api/outbox');
    expect(api.status).toBe(404);
    expect(await api.json()).toMatchObject({ error: expect.stringContaining('No mail catcher is configured') });
  });

  test('with one: the caught messages newest first, as a page and as JSON, without credential', async () => {
    const mails: CaughtMail[] = [
      { messageId: '<2@x>', at: '2026-01-02T00:00:00.000Z', kind: 'returned', to: ['a@example.org'], cc: [], subject: 'Second <b>', links: ['http://127.0.0.1/r/abc', 'javascript:alert(1)'], text: 'body <i>', html: '<script>x</script>' },
      { messageId: '<1@x>', at: '2026-01-01T00:00:00.000Z', kind: 'request', to: ['a@example.org'], cc: ['c@example.org'], subject: 'First', links: [], text: '', html: '' },
    ];
    const other = createPortal({ client: h.client, db: h.db, keyring: h.ring, hqCredential: HQ_CREDENTIAL, mailStore: { list: async () => mails }, log: () => {} });
    const base = await other.listen(0);
    try {
      const json = await (await fetch(`${base}/api/outbox`)).json();
      expect(json).toEqual(mails.map(({ messageId, at, kind, to, cc, subject, links }) => ({ messageId, at, kind, to, cc, subject, links })));
      const page = await fetch(`${base}/outbox`);
      expect(page.status).toBe(200);
      const html = await page.text();
      expect(html).toContain('Second &lt;b&gt;');
      expect(html).toContain('body &lt;i&gt;');
      expect(html).not.toContain('<script>');
      expect(html).not.toContain('href="javascript:');
      expect(html.indexOf('Second')).toBeLessThan(html.indexOf('First'));
    } finally {
      await other.close();
    }
  });
});
