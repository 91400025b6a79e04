/** The portal's pure pieces as plain functions: form values, refusals, heatmap, routing, origin checks, sessions. */
import type { IncomingMessage } from 'node:http';
import { describe, expect, test } from 'vitest';
import { heatmap, isLagging, laggingUnits } from '../../client/portal/heatmap.js';
import { HqAuth } from '../../client/portal/hq-auth.js';
import { html } from '../../client/portal/html.js';
import { HttpError, parseForm } from '../../client/portal/http.js';
import { asHttpError } from '../../client/portal/plan-data.js';
import { refusalErrors, reportInput, schemaErrors, valuesFromForm } from '../../client/portal/report-form.js';
import { findRoute, pathSegments, type Route } from '../../client/portal/router.js';
import { requireSameOrigin, refuseCrossSite } from '../../client/portal/same-origin.js';
import { loggablePath } from '../../client/portal/server.js';
import { issueSession, reportScopeOf, verified } from '../../client/portal/sessions.js';
import { refusalSentence } from '../../client/portal/i18n.js';
import { UserError } from '../../client/plans.js';
import { REFUSALS, type Refusal, type RefusalCode } from '../../workflows/contract/refusals.js';
import { newKeyring } from '../../security/keyring.js';
import { en } from '../../client/portal/catalogue/en.js';
import { zhCN } from '../../client/portal/catalogue/zh-CN.js';
import type { PeriodStatus, PlanStatus } from '../../workflows/contract/status.js';
import { validPlan } from '../fixtures/plans.js';
import { planAroundNow } from '../helpers/dev-server.js';

const scope = { plan: 'p', task: 't1', unit: 'alpha', period: '2027-Q1' };

describe('report form', () => {
  test('field messages come in the plan\'s language', () => {
    const input = { requestId: 'r', taskId: 't', unitId: 'u', period: '2027-Q1', status: 'great', summary: ' ', progress: 'lots', problems: 'x'.repeat(20_001) };
    expect(schemaErrors(input, zhCN.form.invalid)?.fields).toEqual({
      status: '请从选项中选择一项。',
      summary: '此项为必填项。',
      progress: '请输入数字，例如 42 或 37.5。',
      problems: '内容过长：最多 20000 个字符。',
    });
    expect(schemaErrors(input, en.form.invalid)?.fields.summary).toBe('Please fill this in.');
  });

  test('scope comes from the session only; progress is a number when it reads as one', () => {
    const values = valuesFromForm(new Map([['status', 'on-track'], ['summary', 'ok\r\nline'], ['progress', ' 12.5 '], ['unitId', 'beta'], ['taskId', 't2'], ['problems', '  ']]));
    expect(reportInput(scope, values, 'r1')).toEqual({ requestId: 'r1', taskId: 't1', unitId: 'alpha', period: '2027-Q1', status: 'on-track', summary: 'ok\nline', progress: 12.5 });
    expect(reportInput(scope, { ...values, progress: '1e2' }, 'r1').progress).toBe(100);
    expect(reportInput(scope, { ...values, progress: '12abc' }, 'r1').progress).toBe('12abc');
  });

  test('schema errors and workflow refusals land next to the field they name', () => {
    const errors = schemaErrors(reportInput(scope, { status: 'x', summary: '', progress: 'a', problems: '', nextSteps: '', submittedBy: '' }, ''));
    expect(errors!.fields).toEqual({ status: 'must be one of on-track, at-risk, off-track', summary: 'must not be empty', progress: 'must be a number' });
    expect(errors!.general).toEqual(['requestId: must not be empty']);
    const refusals: Refusal[] = [
      { field: 'summary', code: 'invalid', params: { message: 'too short' } },
      { field: 'period', code: 'closed', params: { period: '2027-Q1', closeAt: '2027-07-01T00:00:00.000Z', noMore: 1 } },
      { field: 'requestId', code: 'tooManyRevisions', params: { max: 20 } },
    ];
    expect(refusalErrors(refusals, (r) => refusalSentence(en, r))).toEqual({
      fields: { summary: 'too short', period: '2027-Q1 closed on Jul 1, 2027, 00:00 UTC; reports are no longer accepted.' },
      general: ['This report already has 20 revisions, the most that are kept.'],
    });
    const down = refusalErrors([{ field: 'engine', code: 'engineDown', params: { message: 'x' } }], (r) => refusalSentence(zhCN, r));
    expect(down).toEqual({ fields: {}, general: [], engineDown: expect.stringContaining('督办引擎未运行') });
  });

  test('every refusal code has words in every catalogue; instants are written in the given zone', () => {
    for (const code of Object.keys(REFUSALS) as RefusalCode[]) {
      for (const c of [en, zhCN]) expect(typeof c.refusals[code], `${c.lang} ${code}`).toBe('function');
    }
    const locked: Refusal = { field: 'period', code: 'locked', params: { period: '2027-Q1', at: '2027-04-02T01:30:00.000Z' } };
    expect(refusalSentence(en, locked, 'Asia/Shanghai')).toBe('The report for 2027-Q1 was accepted on Apr 2, 2027, 09:30 GMT+8 and is locked.');
    expect(refusalSentence(zhCN, locked, 'Asia/Shanghai')).toBe('2027-Q1 的报告已于 2027年4月2日 GMT+8 09:30 被采纳并锁定。');
  });

  test('refusals become 404, 409, 400 or 503 by their code, with their field; never by their words', () => {
    const as = (refusals: Refusal[], code = 'EREJECTED') => asHttpError(new UserError('whatever the words', code, refusals)) as HttpError;
    expect(asHttpError(new UserError('plan x: no such plan has been started', 'ENOPLAN'))).toMatchObject({ status: 404, field: 'planId' });
    expect(as([{ field: 'planId', code: 'unknownPlan', params: { planId: 'x' } }], 'ENOPLAN')).toMatchObject({ status: 404, kind: 'notFound', field: 'planId' });
    expect(as([{ field: 'unitId', code: 'notResponsible', params: { unitId: 'b', taskId: 't1' } }])).toMatchObject({ status: 404, field: 'unitId', detail: 'Unit "b" is not responsible for task "t1".' });
    expect(as([{ field: 'decision', code: 'locked', params: { at: '2027-01-01T00:00:00.000Z' } }])).toMatchObject({ status: 409, kind: 'conflict', field: 'decision' });
    expect(as([{ field: 'period', code: 'noReportYet', params: { taskId: 't1', unitId: 'a', period: '2027-Q1' } }])).toMatchObject({ status: 409, field: 'period' });
    expect(as([{ field: 'comment', code: 'invalid', params: { message: 'must say what to revise when returning a report' } }])).toMatchObject({ status: 400, field: 'comment', detail: 'must say what to revise when returning a report' });
    expect(as([{ field: 'engine', code: 'engineDown', params: { message: 'm' } }], 'ENOENGINE')).toMatchObject({ status: 503, kind: 'engineDown', field: 'engine' });
    // The most serious kind decides: an unknown quarter before a field of the schema.
    const mixed = as([{ field: 'summary', code: 'invalid', params: { message: 'm' } }, { field: 'period', code: 'notAQuarter', params: { period: '1999-Q1', planId: 'p' } }]);
    expect(mixed).toMatchObject({ status: 404, field: 'period' });
    expect(mixed.refusals.map((r) => r.code)).toEqual(['invalid', 'notAQuarter']);
    // A message that reads like a conflict but carries no refusal is not sorted by its words.
    expect(asHttpError(new UserError('period: the report was accepted and is locked'))).toMatchObject({ status: 400 });
    const other = new Error('boom');
    expect(asHttpError(other)).toBe(other);
  });
});

describe('heatmap', () => {
  const plan = validPlan(planAroundNow('hm').plan);
  const period = (over: Partial<PeriodStatus>): PeriodStatus => ({
    period: '2027-Q1', state: 'requested', requestedAt: null, dueAt: '2027-04-06T00:00:00.000Z', submittedAt: null, daysLate: null, reminders: 0,
    escalations: 0, revisions: 0, reportStatus: null, progress: null, deliveryIssues: [], review: null, revisionDueAt: null, round: 0, ...over,
  });
  const status = (alpha: Partial<PeriodStatus>, beta: Partial<PeriodStatus>): PlanStatus => ({
    planId: 'hm',
    tasks: [
      { taskId: 't1', units: [{ unitId: 'alpha', periods: [period(alpha)] }] },
      { taskId: 't2', units: [{ unitId: 'beta', periods: [period(beta)] }] },
    ],
  });

  test('lagging: overdue, escalated, late, or returned and awaiting its revision', () => {
    expect(['overdue', 'escalated', 'late'].every((state) => isLagging(period({ state: state as PeriodState })))).toBe(true);
    expect(['requested', 'submitted', 'scheduled', 'untracked'].some((state) => isLagging(period({ state: state as PeriodState })))).toBe(false);
    expect(isLagging(period({ state: 'requested', review: 'returned', revisionDueAt: '2027-05-01T00:00:00.000Z' }))).toBe(true);
    expect(isLagging(period({ state: 'submitted', review: 'returned', revisionDueAt: null }))).toBe(false);
    expect([...laggingUnits(status({ state: 'submitted' }, { state: 'overdue' }))]).toEqual(['beta']);
  });

  test('rows grouped by aspect, one cell per quarter, limited to the units asked for', () => {
    const map = heatmap(plan, status({ state: 'submitted', review: 'accepted' }, { state: 'requested' }), new Set(['alpha']));
    expect(map.periods).toEqual(['2027-Q1']);
    expect(map.groups).toEqual([
      { aspectId: 'a', aspectTitle: 'Aspect A', rows: [{ taskId: 't1', taskTitle: 'Task One', unitId: 'alpha', unitName: 'Alpha Office', cells: [{ period: '2027-Q1', state: 'submitted', review: 'accepted', awaitingRevision: false }] }] },
    ]);
  });
});

type PeriodState = PeriodStatus['state'];

describe('plumbing', () => {
  const noop = async () => {};
  const routes: Route<null>[] = [
    { method: 'GET', pattern: '/r/:token', handle: noop },
    { method: 'POST', pattern: '/r/continue', handle: noop },
  ];

  test('routes: literal patterns win, other methods 405, bad encoding 400', () => {
    expect(findRoute(routes, 'POST', pathSegments('/r/continue'))).toMatchObject({ route: routes[1] });
    expect(findRoute(routes, 'GET', pathSegments('/r/continue'))).toMatchObject({ route: routes[0], params: { token: 'continue' } });
    expect(findRoute(routes, 'HEAD', pathSegments('/r/abc'))).toMatchObject({ route: routes[0] });
    expect(findRoute(routes, 'PUT', pathSegments('/r/abc'))).toEqual({ allow: ['GET'] });
    expect(findRoute(routes, 'GET', pathSegments('/r'))).toBeNull();
    expect(() => pathSegments('/r/%E0%A4%A')).toThrow(HttpError);
    expect(() => parseForm(Buffer.from('a=%zz'))).toThrow(/malformed/);
    expect([...parseForm(Buffer.from('a=1+2&b=%C3%A9&c'))]).toEqual([['a', '1 2'], ['b', 'é'], ['c', '']]);
  });

  test('log paths never carry a token or a query string', () => {
    expect(loggablePath('/r/abc.def.ghi?x=1')).toBe('/r/[token]');
    expect(loggablePath('/l/abc.def.ghi')).toBe('/l/[token]');
    expect(loggablePath('/r/continue')).toBe('/r/continue');
    expect(loggablePath('/report?token=abc')).toBe('/report');
  });

  test('html escapes whatever it is given unless it is html', () => {
    expect(html`<p title="${'"x"'}">${'<b>'}${html`<i>ok</i>`}${['<', 1]}</p>`.text).toBe('<p title="&quot;x&quot;">&lt;b&gt;<i>ok</i>&lt;1</p>');
  });

  test('same origin: a matching Origin, or Sec-Fetch-Site same-origin when Origin is null, or a matching Referer', () => {
    const req = (headers: Record<string, string>) => ({ headers: { host: 'portal.example:8080', ...headers } }) as unknown as IncomingMessage;
    expect(() => requireSameOrigin(req({ origin: 'http://portal.example:8080' }))).not.toThrow();
    expect(() => requireSameOrigin(req({ origin: 'https://public.example' }), 'https://public.example/')).not.toThrow();
    expect(() => requireSameOrigin(req({ origin: 'null', 'sec-fetch-site': 'same-origin' }))).not.toThrow();
    expect(() => requireSameOrigin(req({ referer: 'http://portal.example:8080/report' }))).not.toThrow();
    const bads: Record<string, string>[] = [{ origin: 'http://evil.example' }, { origin: 'null', 'sec-fetch-site': 'same-site' }, { origin: 'null' }, { referer: 'http://evil.example/' }, {}];
    for (const bad of bads) {
      expect(() => requireSameOrigin(req(bad)), JSON.stringify(bad)).toThrow(HttpError);
    }
    expect(() => refuseCrossSite(req({}))).not.toThrow(); // a script with Basic auth
    expect(() => refuseCrossSite(req({ origin: 'http://evil.example' }))).toThrow(HttpError);
  });

  test('sessions: scoped, unique, expiring; headquarters sessions end with the credential', () => {
    const ring = newKeyring();
    const a = issueSession(ring, 'report-session', scope, 60);
    expect(a).not.toBe(issueSession(ring, 'report-session', scope, 60));
    expect(reportScopeOf(verified(ring, a, 'report-session')!)).toEqual(scope);
    expect(verified(ring, a, 'leader-session')).toBeNull();
    expect(verified(ring, issueSession(ring, 'report-session', scope, 60, Date.now() - 2 * 3600_000), 'report-session')).toBeNull();

    const secret = Buffer.alloc(32, 1);
    const hq = new HqAuth('pw', secret, 60);
    const cookie = hq.issue();
    const withCookie = (c: string) => ({ headers: { cookie: `rc_hq=${c}` } }) as unknown as IncomingMessage;
    expect(hq.check(withCookie(cookie))).toMatchObject({ via: 'cookie' });
    expect(new HqAuth('other', secret, 60).check(withCookie(cookie))).toBeNull();
    expect(hq.check(withCookie(hq.issue(Date.now() - 2 * 3600_000)))).toBeNull();
    expect(hq.check(withCookie(cookie.replace(/.$/, (ch) => (ch === 'A' ? 'B' : 'A'))))).toBeNull();
  });
});
