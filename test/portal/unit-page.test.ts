/**
 * A unit's page over real HTTP against a real dev server and worker: the unit link every notice carries, its landing
 * page and session, the list of all the unit's reports (open ones first), several reports submitted in one POST (each
 * recorded or refused on its own, a resubmit applied once), the refusals of forged forms and links, the leader's
 * overview of the same reports, and a batch sent while no worker runs.
 */
import { describe, expect, test } from 'vitest';
import { acceptReport, returnReport } from '../../client/plans.js';
import { newKeyring } from '../../security/keyring.js';
import { verifyToken } from '../../security/tokens.js';
import { periodStatus, token, usePortal, waitFor } from './harness.js';

const planId = `portal-unit-page-${process.pid}-${Date.now()}`;
const zhPlanId = `${planId}-zh`;
const tasks = [
  { id: 't1', aspect: 'a', title: 'Task One', units: ['alpha'] },
  { id: 't2', aspect: 'a', title: 'Task Two', units: ['beta'] },
  { id: 't3', aspect: 'a', title: 'Task Three', units: ['alpha'] },
  { id: 't4', aspect: 'a', title: 'Task Four', units: ['alpha'] },
];
const h = usePortal('unit-page', [
  { id: planId, overrides: { tasks } },
  { id: zhPlanId, overrides: { tasks, locale: 'zh-CN', timezone: 'Asia/Shanghai', title: '试点计划' } },
]);

const FORM = 'application/x-www-form-urlencoded';
const get = (path: string, headers: Record<string, string> = {}) => fetch(`${h.base}${path}`, { redirect: 'manual', headers });
const post = (path: string, body: string | Record<string, string>, headers: Record<string, string> = {}) =>
  fetch(`${h.base}${path}`, { method: 'POST', redirect: 'manual', body: typeof body === 'string' ? body : new URLSearchParams(body).toString(), headers: { 'content-type': FORM, origin: h.base, ...headers } });

const unitLink = (unit: string, plan = planId, extra: Record<string, unknown> = {}) => token(h.ring, { p: 'unit-link', plan, unit, ...extra });
const revisionsOf = async (task: string, unit = 'alpha', plan = planId, period = h.current) => (await periodStatus(h.db, plan, task, unit, period))?.revisions ?? 0;

/** Follows a unit link through Continue; returns the session cookie (`name=value`). */
async function session(link: string): Promise<string> {
  const res = await post('/u/continue', { token: link });
  expect(res.status).toBe(303);
  expect(res.headers.get('location')).toBe('/unit');
  const cookie = res.headers.getSetCookie()[0];
  expect(cookie).toMatch(/^rc_unit=[A-Za-z0-9._-]+; Max-Age=3600; Path=\/; HttpOnly; SameSite=Strict$/);
  return cookie.split(';')[0];
}

/** The page, its CSRF token and each open report's form (number, task, quarter, request id), read from the HTML. */
async function unitPage(cookie: string) {
  const res = await get('/unit', { cookie });
  expect(res.status).toBe(200);
  const html = await res.text();
  const csrf = /name="csrf" value="([^"]+)"/.exec(html)?.[1] ?? '';
  const forms = [...html.matchAll(/name="r(\d+)\.task" value="([^"]+)">\n<input type="hidden" name="r\d+\.period" value="([^"]+)">\n<input type="hidden" name="r\d+\.requestId" value="([^"]+)">/g)].map((m) => ({ n: m[1], task: m[2], period: m[3], requestId: m[4] }));
  return { html, csrf, forms };
}

/** The POST body of the given reports (ticked), each with its own fields. */
function body(csrf: string, reports: { n: string; task: string; period: string; requestId: string; fields?: Record<string, string> }[]): Record<string, string> {
  const out: Record<string, string> = { csrf };
  for (const r of reports) {
    const f = { status: 'on-track', summary: `Progress on ${r.task}.`, progress: '10', problems: '', nextSteps: 'Go on.', submittedBy: 'Ann', ...r.fields };
    Object.assign(out, { [`r${r.n}.task`]: r.task, [`r${r.n}.period`]: r.period, [`r${r.n}.requestId`]: r.requestId, [`r${r.n}.send`]: '1' });
    for (const [k, v] of Object.entries(f)) out[`r${r.n}.${k}`] = v;
  }
  return out;
}

/** The lines of the reports table, in order: task, quarter, state, and the outcome cell's text. */
function rows(html: string) {
  return [...html.matchAll(/<tr data-task="([^"]+)" data-unit="([^"]+)" data-period="([^"]+)" data-state="([^"]+)" data-open="(true|false)">(.*?)<\/tr>/g)].map((m) => ({
    task: m[1],
    unit: m[2],
    period: m[3],
    state: m[4],
    open: m[5] === 'true',
    text: m[6].replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim(),
  }));
}

describe("the unit's link", () => {
  test('every notice to a unit carries a link to its page: signed for exactly that plan and unit', async () => {
    // Alone (X-Review-Cycles-Key) or in a digest of the unit's requests of that instant (X-Review-Cycles-Keys).
    const mail = await waitFor('the request for alpha on t1', async () =>
      h.sink.messages.find((m) => m.headers.get('x-review-cycles-kind') === 'request' && m.to.includes('alpha@example.org') && (m.parsed.text ?? '').includes('Task One') && String(m.headers.get('x-review-cycles-key') ?? m.headers.get('x-review-cycles-keys') ?? '').startsWith(`${planId}/`)),
    );
    const line = (mail.parsed.text ?? '').split('\n').find((l) => l.startsWith("All your unit's reports of the plan: "));
    expect(line, 'the unit page line').toBeDefined();
    const url = line!.slice(line!.indexOf(': ') + 2);
    expect(url.startsWith(`${h.base}/u/`)).toBe(true);
    const v = verifyToken(h.ring, url.slice(url.lastIndexOf('/') + 1), 'unit-link');
    expect(v.ok && { plan: v.payload.plan, unit: v.payload.unit, task: v.payload.task, period: v.payload.period }).toEqual({ plan: planId, unit: 'alpha', task: undefined, period: undefined });
    // The report form's link is still there, before it.
    expect(mail.parsed.text).toContain(`Submit your report: ${h.base}/r/`);
    const landing = await get(url.slice(h.base.length));
    expect(landing.status).toBe(200);
    expect(landing.headers.get('set-cookie')).toBeNull();
    expect(await landing.text()).toContain(`Alpha Office: all your reports in &quot;Live test plan ${planId}&quot;`);
    // The token never reaches the log.
    expect(h.logs.some((l) => l.includes('/u/[token]'))).toBe(true);
    expect(h.logs.some((l) => l.includes(url.slice(url.lastIndexOf('/') + 1)))).toBe(false);
  });

  test('a forged, altered, expired, narrower, foreign or unknown link is refused with 403 and sets no cookie', async () => {
    const valid = unitLink('alpha');
    const [head, payload, sig] = valid.split('.');
    const altered = `${head}.${Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), unit: 'beta' })).toString('base64url')}.${sig}`;
    const cases: Record<string, string> = {
      'altered payload (another unit)': altered,
      'forged signature': `${head}.${payload}.${Buffer.from('x'.repeat(32)).toString('base64url')}`,
      expired: unitLink('alpha', planId, { exp: Math.floor(Date.now() / 1000) - 60 }),
      'a report link': token(h.ring, { p: 'report-link', plan: planId, task: 't1', unit: 'alpha', period: h.current }),
      'a leader link': token(h.ring, { p: 'leader-link', plan: planId, leader: 'lead-a' }),
      'a unit session token': token(h.ring, { p: 'unit-session', plan: planId, unit: 'alpha' }),
      'a unit link narrowed to one task': unitLink('alpha', planId, { task: 't1' }),
      'another key': token(newKeyring('kother'), { p: 'unit-link', plan: planId, unit: 'alpha' }),
      'no such unit': unitLink('gamma'),
      'no such plan': unitLink('alpha', 'no-such-plan'),
      garbage: 'not-a-token',
    };
    for (const [name, t] of Object.entries(cases)) {
      const landing = await get(`/u/${t}`);
      expect(landing.status, name).toBe(403);
      expect(await landing.text(), name).toContain('This link is not valid');
      const cont = await post('/u/continue', { token: t });
      expect(cont.status, name).toBe(403);
      expect(cont.headers.get('set-cookie'), name).toBeNull();
    }
    // A refused link of a Chinese plan is refused in Chinese.
    const zhExpired = await get(`/u/${unitLink('alpha', zhPlanId, { exp: Math.floor(Date.now() / 1000) - 60 })}`);
    expect(zhExpired.status).toBe(403);
    expect(await zhExpired.text()).toContain('此链接无效');
    // Continue needs the portal's own origin, as the report form's does.
    expect((await post('/u/continue', { token: valid }, { origin: 'https://evil.example' })).status).toBe(403);
    // No session, or a tampered one, reads and writes nothing.
    for (const cookie of ['', 'rc_unit=not-a-token', `rc_unit=${valid}`, `rc_unit=${token(h.ring, { p: 'report-session', plan: planId, task: 't1', unit: 'alpha', period: h.current })}`]) {
      expect((await get('/unit', { cookie })).status, cookie).toBe(403);
      expect((await post('/unit', { csrf: 'x' }, { cookie })).status, cookie).toBe(403);
    }
  });
});

describe("the unit's page", () => {
  test("lists every report of the unit (its tasks × quarters), open ones first, with state, due day and lateness; no other unit's", async () => {
    const cookie = await session(unitLink('alpha'));
    const { html, forms } = await unitPage(cookie);
    const list = rows(html);
    expect(list.map((r) => `${r.task} ${r.period}`).sort()).toEqual(['t1', 't3', 't4'].flatMap((t) => [`${t} ${h.current}`, `${t} ${h.next}`]).sort());
    expect(list.every((r) => r.unit === 'alpha')).toBe(true);
    // The current quarter is requested (open), the next one scheduled: open ones come first, in plan order.
    expect(list.slice(0, 3).map((r) => [r.task, r.period, r.state, r.open])).toEqual(['t1', 't3', 't4'].map((t) => [t, h.current, 'requested', true]));
    expect(list.slice(3).every((r) => r.state === 'scheduled' && !r.open)).toBe(true);
    expect(list[0].text).toMatch(/^Task One \S+ Requested \w+day, .+ \d{4} (Not late|already \d+ days? late) None$/);
    // A form per open report only, numbered in the order of the list.
    expect(forms.map((f) => [f.n, f.task, f.period])).toEqual([['1', 't1', h.current], ['2', 't3', h.current], ['3', 't4', h.current]]);
    expect(new Set(forms.map((f) => f.requestId)).size).toBe(3);
    expect(html).not.toContain('Task Two');
    expect(html).toContain('<td class="findings">None</td>');
  });

  test('several reports in one POST: each recorded with its own receipt; sending the same form again records nothing twice', async () => {
    const cookie = await session(unitLink('alpha'));
    const { csrf, forms } = await unitPage(cookie);
    const [t1, t3] = forms;
    const sent = body(csrf, [
      { ...t1, fields: { status: 'at-risk', summary: 'One of two sites done.', progress: '50' } },
      { ...t3, fields: { summary: 'All done.', progress: '100' } },
    ]);
    const res = await post('/unit', sent, { cookie });
    expect(res.status).toBe(200);
    const list = rows(await res.text());
    const line = (task: string) => list.find((r) => r.task === task && r.period === h.current)!;
    expect(line('t1').text).toContain('Your report was received on time (revision 1).');
    expect(line('t3').text).toContain('Your report was received on time (revision 1).');
    expect(line('t4').text).not.toContain('received');
    // Recorded, and the page already lists them as submitted (read your own write).
    expect([line('t1').state, line('t3').state, line('t4').state]).toEqual(['submitted', 'submitted', 'requested']);
    expect([await revisionsOf('t1'), await revisionsOf('t3'), await revisionsOf('t4')]).toEqual([1, 1, 0]);
    // The same POST again (a double click, a resent form): the same request ids, so nothing new is recorded.
    const again = await post('/unit', sent, { cookie });
    expect(again.status).toBe(200);
    const html = await again.text();
    expect(html.match(/This submission had already been received; it was not recorded twice\./g)?.length).toBe(2);
    expect([await revisionsOf('t1'), await revisionsOf('t3')]).toEqual([1, 1]);
    // Only t4 is left to fill in.
    expect((await unitPage(cookie)).forms.map((f) => f.task)).toEqual(['t4']);
  });

  test("a returned report is open again, listed first, its form pre-filled with the unit's last answers", async () => {
    await returnReport({ client: h.client, db: h.db }, planId, { taskId: 't3', unitId: 'alpha', period: h.current, comment: 'Add the dates.' });
    await waitFor('t3 returned', async () => ((await periodStatus(h.db, planId, 't3', 'alpha', h.current))?.revisionDueAt ? true : undefined));
    const { html, forms } = await unitPage(await session(unitLink('alpha')));
    const list = rows(html);
    expect(list.filter((r) => r.open).map((r) => r.task).sort()).toEqual(['t3', 't4']);
    expect(list.slice(0, 2).every((r) => r.open)).toBe(true);
    expect(list.find((r) => r.task === 't3' && r.period === h.current)!.text).toContain('Returned, awaiting revision');
    const t3 = forms.find((f) => f.task === 't3')!;
    expect(html).toContain(`<textarea id="r${t3.n}-summary" name="r${t3.n}.summary">All done.</textarea>`);
    expect(html).toContain(`id="r${t3.n}-progress" name="r${t3.n}.progress" value="100"`);
    // t4 has no report yet in any quarter: its form starts empty.
    const t4 = forms.find((f) => f.task === 't4')!;
    expect(html).toContain(`<textarea id="r${t4.n}-summary" name="r${t4.n}.summary"></textarea>`);
  });

  test("another unit's task, a field naming another unit, a quarter outside the plan: the whole form is refused (403) and nothing is recorded", async () => {
    const cookie = await session(unitLink('alpha'));
    const { csrf, forms } = await unitPage(cookie);
    const t4 = forms.find((f) => f.task === 't4')!;
    const before = [await revisionsOf('t4'), await revisionsOf('t2', 'beta')];
    const cases: Record<string, Record<string, string>> = {
      "beta's task t2 injected": body(csrf, [t4, { n: '9', task: 't2', period: h.current, requestId: 'inject-1' }]),
      'a field naming beta': { ...body(csrf, [t4]), [`r${t4.n}.unitId`]: 'beta' },
      'a quarter outside the plan': body(csrf, [{ ...t4, period: '1999-Q1' }]),
      'an unknown task': body(csrf, [{ ...t4, task: 'nope' }]),
      'the same report twice': body(csrf, [t4, { ...t4, n: '7', requestId: 'again-7' }]),
    };
    for (const [name, b] of Object.entries(cases)) {
      const res = await post('/unit', b, { cookie });
      expect(res.status, name).toBe(403);
      expect(await res.text(), name).toMatch(/Report \d+ of the form is not one of your unit&#39;s open reports; nothing was sent\./);
    }
    expect([await revisionsOf('t4'), await revisionsOf('t2', 'beta')]).toEqual(before);
    // A field that is not the form's at all is a 400; no CSRF, a wrong one or a foreign origin a 403.
    expect((await post('/unit', { ...body(csrf, [t4]), planId: 'other' }, { cookie })).status).toBe(400);
    expect((await post('/unit', { ...body(csrf, [t4]), csrf: '' }, { cookie })).status).toBe(403);
    expect((await post('/unit', { ...body(csrf, [t4]), csrf: 'A'.repeat(43) }, { cookie })).status).toBe(403);
    expect((await post('/unit', body(csrf, [t4]), { cookie, origin: 'https://evil.example' })).status).toBe(403);
    expect((await post('/unit', JSON.stringify(body(csrf, [t4])), { cookie, 'content-type': 'application/json' })).status).toBe(415);
    // Another session's CSRF token does not fit this one.
    const other = await unitPage(await session(unitLink('alpha')));
    expect((await post('/unit', body(other.csrf, [t4]), { cookie })).status).toBe(403);
    expect(await revisionsOf('t4')).toBe(before[0]);
  });

  test("each report is refused on its own, in the plan's words: a locked quarter, one not requested yet, an invalid field", async () => {
    // Headquarters accepts t1's report (recorded above): that quarter is closed to the unit.
    await acceptReport({ client: h.client, db: h.db }, planId, { taskId: 't1', unitId: 'alpha', period: h.current });
    await waitFor('t1 accepted', async () => ((await periodStatus(h.db, planId, 't1', 'alpha', h.current))?.review === 'accepted' ? true : undefined));
    const cookie = await session(unitLink('alpha'));
    const { csrf, forms } = await unitPage(cookie);
    const t4 = forms.find((f) => f.task === 't4')!;
    const res = await post(
      '/unit',
      body(csrf, [
        { n: '11', task: 't1', period: h.current, requestId: 'locked-1' },
        { n: '12', task: 't3', period: h.next, requestId: 'next-1' },
        { ...t4, fields: { summary: '   ', progress: 'lots' } },
      ]),
      { cookie },
    );
    // Nothing could be recorded: the most serious refusal's status.
    expect(res.status).toBe(409);
    const html = await res.text();
    const list = rows(html);
    expect(list.find((r) => r.task === 't1' && r.period === h.current)!.text).toMatch(/Not recorded: Quarter: The report for \S+ was accepted on .+ and is locked\./);
    expect(list.find((r) => r.task === 't3' && r.period === h.next)!.text).toMatch(/Not recorded: Quarter: The report for \S+ has not been requested yet; the request goes out on .+\./);
    expect(list.find((r) => r.task === 't4' && r.period === h.current)!.text).toContain('Summary of progress: Please fill this in.');
    // The invalid one keeps its values, its request id and its tick, with the message next to its field.
    expect(html).toContain(`name="r${t4.n}.requestId" value="${t4.requestId}"`);
    expect(html).toMatch(new RegExp(`id="r${t4.n}-send" name="r${t4.n}.send" value="1" checked`));
    expect(html).toContain(`<p class="error" id="r${t4.n}-summary-error" data-field="summary">Please fill this in.</p>`);
    expect(html).toContain(`value="lots"`);
    expect([await revisionsOf('t1'), await revisionsOf('t3', 'alpha', planId, h.next), await revisionsOf('t4')]).toEqual([1, 0, 0]);
    // Nothing ticked sends nothing.
    const none = await post('/unit', { csrf }, { cookie });
    expect(none.status).toBe(400);
    expect(await none.text()).toContain('No report was ticked: nothing was sent.');
  });

  test("a Chinese plan's page and refusals are in Chinese; a good report next to a refused one is still recorded", async () => {
    const cookie = await session(unitLink('alpha', zhPlanId));
    const { html, csrf, forms } = await unitPage(cookie);
    expect(html).toContain('<html lang="zh-CN">');
    expect(html).toContain('提交勾选的报告');
    const [t1] = forms;
    const res = await post('/unit', body(csrf, [t1, { n: '12', task: 't3', period: h.next, requestId: 'zh-next-1' }]), { cookie });
    expect(res.status).toBe(200);
    const list = rows(await res.text());
    expect(list.find((r) => r.task === 't1' && r.period === h.current)!.text).toContain('您的报告已按时收到（第 1 份修订）。');
    expect(list.find((r) => r.task === 't3' && r.period === h.next)!.text).toMatch(/^.*未记录： 季度：.+/);
    expect(await revisionsOf('t1', 'alpha', zhPlanId)).toBe(1);
  });
});

describe("the leader's view", () => {
  test("lists every report of the leader's units, open ones first, read-only; none of another leader's", async () => {
    const res = await post('/l/continue', { token: token(h.ring, { p: 'leader-link', plan: planId, leader: 'lead-a' }) });
    expect(res.status).toBe(303);
    const cookie = res.headers.getSetCookie()[0].split(';')[0];
    const page = await get('/leader', { cookie });
    expect(page.status).toBe(200);
    const html = await page.text();
    const overview = html.slice(html.indexOf('<table id="reports">'));
    const list = rows(overview);
    expect(list.length).toBe(6);
    expect(list.every((r) => r.unit === 'alpha')).toBe(true);
    // t3 (returned) and t4 (requested) are open, so first; t1 was submitted and accepted above.
    expect(list.slice(0, 2).map((r) => [r.task, r.period, r.open]).sort()).toEqual([['t3', h.current, true], ['t4', h.current, true]]);
    expect(list.slice(2).every((r) => !r.open)).toBe(true);
    expect(list.find((r) => r.task === 't1' && r.period === h.current)!.text).toContain('Submitted (Accepted)');
    expect(overview).not.toContain('<form');
    expect(overview).toContain('Alpha Office');
  });
});

describe('without a worker', () => {
  test('the page still answers from the database; the reports sent get a 503 each, and keep their values and request ids', async () => {
    await h.stopWorker();
    const cookie = await session(unitLink('alpha'));
    const { csrf, forms } = await unitPage(cookie);
    const t4 = forms.find((f) => f.task === 't4')!;
    const started = Date.now();
    const res = await post('/unit', body(csrf, [{ ...t4, fields: { summary: 'Sent while the engine is down.' } }]), { cookie });
    expect(res.status).toBe(503);
    expect(Date.now() - started).toBeLessThan(15_000);
    const html = await res.text();
    expect(rows(html).find((r) => r.task === 't4' && r.period === h.current)!.text).toContain('The engine is not running');
    expect(html).toContain(`name="r${t4.n}.requestId" value="${t4.requestId}"`);
    expect(html).toContain('Sent while the engine is down.</textarea>');
    expect(await revisionsOf('t4')).toBe(0);
  }, 30_000);
});
