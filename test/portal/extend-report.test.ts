/**
 * Headquarters extends a report (延期) from its page on the dashboard, over real HTTP and in a real headless Chromium
 * (Debian's package), against a real dev server, worker and database on the real clock: the form is guarded like
 * every headquarters form (origin, CSRF), a refusal is said next to its field in the plan's language with the form as
 * sent, a receipt says the new due day in the plan's language, a form sent twice is applied once, and the unit is
 * told once. Fails (never skips) without Chromium.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { storedExtensions } from '../../store/records.js';
import { en } from '../../client/portal/catalogue/en.js';
import { zhCN } from '../../client/portal/catalogue/zh-CN.js';
import { localDay } from '../../client/portal/views/findings.js';
import { launchChromium } from '../helpers/browser.js';
import { HQ_CREDENTIAL, periodStatus, usePortal, waitFor } from './harness.js';

const planId = `portal-extend-${process.pid}-${Date.now()}`;
const zhPlanId = `${planId}-zh`;
const h = usePortal('extend-report', [{ id: planId }, { id: zhPlanId, overrides: { locale: 'zh-CN', title: '延期计划' } }]);

const FORM = 'application/x-www-form-urlencoded';
const HQ = { authorization: `Basic ${Buffer.from(`hq:${HQ_CREDENTIAL}`).toString('base64')}` };
const get = (path: string) => fetch(`${h.base}${path}`, { redirect: 'manual', headers: HQ });
const post = (path: string, body: Record<string, string>, headers: Record<string, string> = {}) =>
  fetch(`${h.base}${path}`, { method: 'POST', redirect: 'manual', body: new URLSearchParams(body).toString(), headers: { 'content-type': FORM, origin: h.base, ...HQ, ...headers } });
const text = (html: string) => html.replace(/<[^>]+>/g, ' ').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&').replace(/\s+/g, ' ');

const DAY = 86_400_000;
const ymd = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const addDays = (day: string, n: number) => ymd(Date.parse(`${day}T00:00:00Z`) + n * DAY);
const today = ymd(Date.now());
/** The current quarter's due day: its last day + 5 (dueOffsetDays), no working-day calendar, in UTC. */
const dueOf = (current: string) => {
  const [y, q] = [Number(current.slice(0, 4)), Number(current.slice(6))];
  return addDays(ymd(Date.UTC(y, 3 * q, 0)), 5);
};
const reportPath = (plan: string, task: string, unit: string) => `/hq/plans/${plan}/reports/${task}/${unit}/${h.current}`;

/** The report page and its extension form's CSRF token and request id. */
async function extendFormOf(path: string) {
  const res = await get(path);
  const html = await res.text();
  const form = /<form method="post" action="([^"]+)" class="extend" id="extend-form" novalidate>\n<input type="hidden" name="csrf" value="([^"]+)">\n<input type="hidden" name="requestId" value="([^"]+)">/.exec(html);
  return { status: res.status, html, action: form?.[1] ?? '', csrf: form?.[2] ?? '', requestId: form?.[3] ?? '' };
}

let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
}, 60_000);
afterAll(async () => {
  await browser?.close();
});

describe('the extension form on a report page', () => {
  test('is on the page of a report still awaited, posting to its own address', async () => {
    const page = await extendFormOf(reportPath(planId, 't1', 'alpha'));
    expect(page.status).toBe(200);
    expect(page.action).toBe(`${reportPath(planId, 't1', 'alpha')}/extend`);
    expect(page.csrf).toMatch(/^[A-Za-z0-9_-]{20,}$/);
    expect(page.html).toContain('<label for="extend-until">Extend to (day)</label>');
    expect(page.html).toContain('<input type="date" id="extend-until" name="until" value="">');
  });

  test('a post from elsewhere or without the CSRF token is refused and changes nothing', async () => {
    const path = reportPath(planId, 't1', 'alpha');
    const page = await extendFormOf(path);
    const body = { csrf: page.csrf, requestId: page.requestId, until: addDays(dueOf(h.current), 10), reason: 'Flood.' };
    expect((await post(`${path}/extend`, body, { origin: 'https://evil.example' })).status).toBe(403);
    expect((await post(`${path}/extend`, { ...body, csrf: 'A'.repeat(43) })).status).toBe(403);
    expect((await post(`${path}/extend`, body, { authorization: 'Basic eDp5' })).status).toBe(401);
    expect(await storedExtensions(h.db, planId, 't1', 'alpha', h.current)).toEqual([]);
  });

  test('refusals are said next to their field, in English, with the form as sent and its request id', async () => {
    const path = reportPath(planId, 't1', 'alpha');
    const page = await extendFormOf(path);
    const due = dueOf(h.current);
    const notLater = await post(`${path}/extend`, { csrf: page.csrf, requestId: page.requestId, until: due, reason: 'Flood <b>.', by: 'Desk' });
    expect(notLater.status).toBe(400);
    const html = await notLater.text();
    const sentence = `${due} gives the due day ${due}, which is not after the report's current due day ${due}.`;
    expect(text(html)).toContain(`Nothing was extended: ${sentence}`);
    expect(html).toContain(`<p class="error" id="extend-until-error" data-field="until">${sentence.replace(/'/g, '&#39;')}</p>`);
    expect(html).toContain(`<input type="date" id="extend-until" name="until" value="${due}" aria-invalid="true" aria-describedby="extend-until-error">`);
    expect(html).toContain('<textarea id="extend-reason" name="reason">Flood &lt;b&gt;.</textarea>');
    expect(html).toContain(`name="requestId" value="${page.requestId}"`);
    const badDay = await post(`${path}/extend`, { csrf: page.csrf, requestId: page.requestId, until: 'soon', reason: ' ' });
    expect(badDay.status).toBe(400);
    const bad = await badDay.text();
    expect(bad).toContain(`data-field="until">${en.extend.badDay}</p>`);
    expect(bad).toContain(`data-field="reason">${en.extend.noReason}</p>`);
    expect(await storedExtensions(h.db, planId, 't1', 'alpha', h.current)).toEqual([]);
  });

  test('an extension answers with its receipt, moves the due day on the page, is applied once, and the unit is told once', async () => {
    const path = reportPath(planId, 't1', 'alpha');
    const page = await extendFormOf(path);
    const due = dueOf(h.current);
    const until = addDays(due, 10);
    const body = { csrf: page.csrf, requestId: page.requestId, until, reason: 'The district office was flooded.', by: 'HQ duty officer' };
    const res = await post(`${path}/extend`, body);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(text(html)).toContain(en.extend.report(1, localDay(en, until), localDay(en, due)));
    expect(html).toContain('id="extend-receipt"');
    expect(html).not.toContain(`name="requestId" value="${page.requestId}"`); // a fresh form for the next one
    const again = await post(`${path}/extend`, body);
    expect(again.status).toBe(200);
    expect(text(await again.text())).toContain(en.extend.duplicate);
    const stored = await storedExtensions(h.db, planId, 't1', 'alpha', h.current);
    expect(stored.map((x) => [x.requestId, x.dueDay, x.previousDueDay, x.reason, x.by])).toEqual([[page.requestId, until, due, 'The district office was flooded.', 'HQ duty officer']]);
    expect((await periodStatus(h.db, planId, 't1', 'alpha', h.current))!.dueAt).toBe(`${addDays(until, 1)}T00:00:00.000Z`);
    const told = await waitFor('the extended notice', async () => {
      const m = h.sink.messages.filter((x) => String(x.headers.get('x-review-cycles-kind')) === 'extended' && x.to.includes('alpha@example.org'));
      return m.length ? m : undefined;
    });
    await new Promise((r) => setTimeout(r, 500));
    expect(h.sink.messages.filter((x) => String(x.headers.get('x-review-cycles-kind')) === 'extended' && x.to.includes('alpha@example.org'))).toHaveLength(1);
    expect(told[0].parsed.text).toContain('The district office was flooded.');
  });

  test("a Chinese plan's page says the refusal and the receipt in Chinese", async () => {
    const path = reportPath(zhPlanId, 't1', 'alpha');
    const page = await extendFormOf(path);
    expect(page.html).toContain(`<label for="extend-until">${zhCN.extend.until}</label>`);
    const due = dueOf(h.current);
    const refused = await post(`${path}/extend`, { csrf: page.csrf, requestId: page.requestId, until: addDays(due, -1), reason: '汛期' });
    expect(refused.status).toBe(400);
    expect(text(await refused.text())).toContain(`${zhCN.extend.notSent} ${addDays(due, -1)} 对应的截止日为 ${addDays(due, -1)}，不晚于该报告当前的截止日 ${due}。`);
    const until = addDays(due, 7);
    const ok = await post(`${path}/extend`, { csrf: page.csrf, requestId: page.requestId, until, reason: '汛期' });
    expect(ok.status).toBe(200);
    expect(text(await ok.text())).toContain(zhCN.extend.report(1, localDay(zhCN, until), localDay(zhCN, due)));
  });

  test('in Chromium: headquarters fills the form, is refused a day already passed, then extends', async () => {
    const hq = await browser.newContext({ httpCredentials: { username: 'headquarters', password: HQ_CREDENTIAL } });
    const dash = await hq.newPage();
    await dash.goto(`${h.base}${reportPath(planId, 't2', 'beta')}`);
    await dash.fill('#extend-until', addDays(today, -1));
    await dash.fill('#extend-reason', 'Power cut at the office.');
    await dash.locator('#extend').click();
    await expect.poll(() => dash.locator('#extend-until-error').textContent()).toContain('which is not after the report');
    expect(await dash.locator('#extend-refusal').count()).toBe(1);
    expect(await dash.inputValue('#extend-reason')).toBe('Power cut at the office.');
    const until = addDays(dueOf(h.current), 3);
    await dash.fill('#extend-until', until);
    await dash.locator('#extend').click();
    await expect.poll(() => dash.locator('#extend-receipt').textContent()).toContain(en.extend.report(1, localDay(en, until), localDay(en, dueOf(h.current))));
    expect((await storedExtensions(h.db, planId, 't2', 'beta', h.current)).map((x) => x.dueDay)).toEqual([until]);
    await hq.close();
  });
});
