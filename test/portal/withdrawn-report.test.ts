/**
 * A report an amendment withdrew, over real HTTP against a real dev server, a real worker and PostgreSQL: beta's
 * report on t2 arrived, then an amendment took beta off t2 while the quarter was open. Its page says it was withdrawn
 * (when, in the plan's language) and shows no decision and no extension form; a decision or an extension posted
 * anyway is refused with a 409 and a sentence (the page again, or the JSON API's error), and nothing reaches the
 * engine. The same amendment moved the due day of alpha's report on t1: the unit's feed shows the moved event with a
 * higher SEQUENCE, and a return after it sends an invite whose SEQUENCE is higher again (never one already used).
 */
import { describe, expect, test } from 'vitest';
import { amendPlan } from '../../client/amend.js';
import { returnReport, submitReport } from '../../client/plans.js';
import { reportEventUid } from '../../activities/notices/calendar.js';
import { en } from '../../client/portal/catalogue/en.js';
import { zhCN } from '../../client/portal/catalogue/zh-CN.js';
import { formatTime } from '../../client/portal/i18n.js';
import { storedRecords } from '../../store/records.js';
import { planHistory } from '../../store/versions.js';
import type { Plan } from '../../workflows/contract/plan.js';
import { parseIcs } from '../helpers/ics.js';
import type { CaughtMessage } from '../helpers/smtp-sink.js';
import { HQ_CREDENTIAL, periodStatus, token, usePortal, waitFor } from './harness.js';

const planId = `portal-withdrawn-${process.pid}-${Date.now()}`;
const zhPlanId = `${planId}-zh`;
const h = usePortal('withdrawn', [{ id: planId }, { id: zhPlanId, overrides: { locale: 'zh-CN', title: '撤销试点' } }]);

const HQ = { authorization: `Basic ${Buffer.from(`hq:${HQ_CREDENTIAL}`).toString('base64')}` };
const get = (path: string) => fetch(`${h.base}${path}`, { redirect: 'manual', headers: HQ });
const post = (path: string, body: Record<string, string>) =>
  fetch(`${h.base}${path}`, { method: 'POST', redirect: 'manual', body: new URLSearchParams(body).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded', origin: h.base, ...HQ } });
const text = (html: string) => html.replace(/<[^>]+>/g, ' ').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&').replace(/\s+/g, ' ');
const engine = () => ({ client: h.client, db: h.db });
const reportPath = (plan: string, task: string, unit: string, period = h.current) => `/hq/plans/${plan}/reports/${task}/${unit}/${period}`;

const DAY = 86_400_000;
const ymd = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const addDays = (day: string, n: number) => ymd(Date.parse(`${day}T00:00:00Z`) + n * DAY);
/** The current quarter's due day under dueOffsetDays `offset` (no working-day calendar, UTC). */
const dueOf = (offset: number) => addDays(ymd(Date.UTC(Number(h.current.slice(0, 4)), 3 * Number(h.current.slice(6)), 0)), offset);

/** Version 2: beta taken off t2 (alpha takes it over), and every due day two days later. */
async function amend(id: string): Promise<void> {
  const v1 = (await planHistory(h.db, id, { withPlan: true }))[0].plan as Plan;
  const v2: Plan = { ...v1, tasks: [v1.tasks[0], { ...v1.tasks[1], units: ['alpha'] }], cadence: { ...v1.cadence, dueOffsetDays: 7 } };
  const outcome = await amendPlan(engine(), id, v2, { reason: 'beta hands t2 over; two more days' });
  expect(outcome.version).toBe(2);
}

/** beta's report on t2 arrives, then the amendment withdraws it; resolves once the status says so. */
async function withdrawnAfterReport(id: string): Promise<void> {
  await submitReport(engine(), id, { requestId: `b-${id}`, taskId: 't2', unitId: 'beta', period: h.current, status: 'on-track', summary: 'Done before the amendment.' });
  await waitFor(`${id} t2/beta submitted`, async () => ((await periodStatus(h.db, id, 't2', 'beta', h.current))?.submittedAt ? true : undefined));
  await amend(id);
  await waitFor(`${id} t2/beta withdrawn`, async () => ((await periodStatus(h.db, id, 't2', 'beta', h.current))?.state === 'withdrawn' ? true : undefined), 60_000);
}

const csrfOf = (html: string) => /name="csrf" value="([^"]+)"/.exec(html)![1];
const FORM_ACTIONS = /action="[^"]*\/(accept|return|extend)"/g;

describe('a report an amendment withdrew', () => {
  test('its page says it was withdrawn, when, and shows no decision and no extension form', async () => {
    await withdrawnAfterReport(planId);
    const { withdrawnAt } = (await storedRecords(h.db, planId, { taskId: 't2', unitId: 'beta', period: h.current }))[`t2|beta|${h.current}`];
    expect(withdrawnAt).toBeGreaterThan(0);
    const res = await get(reportPath(planId, 't2', 'beta'));
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('<td id="state" data-state="withdrawn">Withdrawn</td>');
    expect(text(/<p class="warn" id="withdrawn"[\s\S]*?<\/p>/.exec(html)![0]).trim()).toBe(en.hq.withdrawnNote(formatTime(en, withdrawnAt!, 'UTC'), 'Beta Office', 'Task Two'));
    expect([...html.matchAll(FORM_ACTIONS)]).toEqual([]);
    expect(html).not.toContain('id="extend-form"');
    expect(html).not.toContain('id="accept"');
    // What arrived is kept and shown.
    expect(html).toContain('Done before the amendment.');
  });

  test('a decision or an extension posted anyway is refused with a 409 and a sentence; nothing reaches the engine', async () => {
    const path = reportPath(planId, 't2', 'beta');
    const csrf = csrfOf(await (await get(path)).text());
    for (const [action, body] of [
      ['accept', { csrf, requestId: 'r-a' }],
      ['return', { csrf, requestId: 'r-r', comment: 'Add the figures.' }],
      ['extend', { csrf, requestId: 'r-x', until: addDays(dueOf(7), 10), reason: 'flood' }],
    ] as const) {
      const res = await post(`${path}/${action}`, body);
      expect(res.status, action).toBe(409);
      const html = await res.text();
      expect(text(/<p class="error" id="decision-error"[\s\S]*?<\/p>/.exec(html)![0]).trim(), action).toBe(en.hq.offRefused);
      expect(html).toContain('id="withdrawn"');
      expect([...html.matchAll(FORM_ACTIONS)], action).toEqual([]);
    }
    // A wrong CSRF token is still refused first, as on every headquarters form.
    expect((await post(`${path}/accept`, { csrf: 'A'.repeat(43) })).status).toBe(403);
    // The JSON API says the same, as a conflict.
    const api = await fetch(`${h.base}/api/hq/plans/${planId}/reports/t2/beta/${h.current}/accept`, { method: 'POST', body: '{}', headers: { ...HQ, 'content-type': 'application/json' } });
    expect(api.status).toBe(409);
    expect(JSON.stringify(await api.json())).toContain(en.hq.offRefused);
    // Nothing was decided or extended.
    const record = (await storedRecords(h.db, planId, { taskId: 't2', unitId: 'beta', period: h.current }))[`t2|beta|${h.current}`];
    expect([record.decisions ?? [], record.extensions ?? []]).toEqual([[], []]);
    expect(await periodStatus(h.db, planId, 't2', 'beta', h.current)).toMatchObject({ state: 'withdrawn', review: null, round: 0 });
    // A report the plan never had is still a 404.
    expect((await post(`${reportPath(planId, 't2', 'nobody')}/accept`, { csrf })).status).toBe(404);
    expect((await get(reportPath(planId, 't2', 'nobody'))).status).toBe(404);
  });

  test('in a Chinese plan, the page and the refusal are in Chinese', async () => {
    await withdrawnAfterReport(zhPlanId);
    const path = reportPath(zhPlanId, 't2', 'beta');
    const html = await (await get(path)).text();
    expect(html).toContain('<html lang="zh-CN">');
    const note = text(/<p class="warn" id="withdrawn"[\s\S]*?<\/p>/.exec(html)![0]).trim();
    expect(note).toMatch(/^已于 .+ 撤销：计划修订在本季度进行期间将Beta Office从“Task Two”中移出。/);
    expect([...html.matchAll(FORM_ACTIONS)]).toEqual([]);
    const res = await post(`${path}/return`, { csrf: csrfOf(html), comment: '补充数据' });
    expect(res.status).toBe(409);
    expect(text(await res.text())).toContain(zhCN.hq.offRefused);
  });
});

const noticeOf = (prefix: string) => h.sink.messages.find((m) => String(m.headers.get('x-review-cycles-key')).startsWith(prefix));
const icsOf = (m: CaughtMessage) => parseIcs(m.parsed.attachments.find((a) => a.contentType === 'text/calendar')!.content.toString('utf8')).events[0];

describe('a due day the amendment moved, then a return', () => {
  test("the feed moves the event with a higher SEQUENCE, and the return's invite is higher again", async () => {
    const uid = reportEventUid(planId, 't1', 'alpha', h.current);
    const request = await waitFor('the request', async () => noticeOf(`${planId}/t1/alpha/${h.current}/request/1`));
    expect(icsOf(request)).toMatchObject({ uid, start: dueOf(5), sequence: 0 });
    // The amendment (first test) moved the due day by two days.
    await waitFor('the due day moved', async () => ((await periodStatus(h.db, planId, 't1', 'alpha', h.current))?.dueMoves === 1 ? true : undefined), 60_000);
    const feed = async () => parseIcs(await (await fetch(`${h.base}/cal/${token(h.ring, { p: 'unit-calendar', plan: planId, unit: 'alpha' })}.ics`)).text()).events.find((e) => e.uid === uid)!;
    expect(await feed()).toMatchObject({ start: dueOf(7), sequence: 1 });

    await submitReport(engine(), planId, { requestId: `a-${planId}`, taskId: 't1', unitId: 'alpha', period: h.current, status: 'on-track', summary: 'Done.' });
    await waitFor('t1 submitted', async () => ((await periodStatus(h.db, planId, 't1', 'alpha', h.current))?.submittedAt ? true : undefined));
    const returned = await returnReport(engine(), planId, { taskId: 't1', unitId: 'alpha', period: h.current, comment: 'Add the figures.' });
    const notice = await waitFor('the returned notice', async () => noticeOf(`${planId}/t1/alpha/${h.current}/returned/`));
    // The return's round (1) and the amendment's move (1): 2, not the 1 the feed already showed.
    expect(icsOf(notice)).toMatchObject({ uid, start: returned.revisionDueDay, sequence: 2 });
    await waitFor('the return recorded', async () => ((await periodStatus(h.db, planId, 't1', 'alpha', h.current))?.round === 1 ? true : undefined));
    expect(await feed()).toMatchObject({ start: returned.revisionDueDay, sequence: 2 });
  });
});
