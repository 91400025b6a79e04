/**
 * Headquarters extends a finding's deadline (延期) from its page on the dashboard, over real HTTP and in a real
 * headless Chromium (Debian's package), against a real dev server, worker and database on the real clock: only an
 * open or overdue finding shows the form; origin and CSRF are checked; a refusal is said next to its field in the
 * plan's language; the receipt says the new deadline day, the page shows it with the extension in the timeline, the
 * unit is told once, and a form sent twice is applied once. Fails (never skips) without Chromium.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { findingLife } from '../../client/findings.js';
import { en } from '../../client/portal/catalogue/en.js';
import { zhCN } from '../../client/portal/catalogue/zh-CN.js';
import { localDay } from '../../client/portal/views/findings.js';
import { addDays, localDateOf } from '../../workflows/calendar/index.js';
import { launchChromium } from '../helpers/browser.js';
import { HQ_CREDENTIAL, mailWithKey, useFindingsPortal, waitFor } from './findings-harness.js';

const planId = `portal-extend-finding-${process.pid}-${Date.now()}`;
const zhPlanId = `${planId}-zh`;
const h = useFindingsPortal('extend-finding', [{ id: planId }, { id: zhPlanId, overrides: { locale: 'zh-CN', title: '督查计划' } }]);

const FORM = 'application/x-www-form-urlencoded';
const HQ = { authorization: `Basic ${Buffer.from(`hq:${HQ_CREDENTIAL}`).toString('base64')}` };
const get = (path: string) => fetch(`${h.base}${path}`, { redirect: 'manual', headers: HQ });
const post = (path: string, body: Record<string, string>, headers: Record<string, string> = {}) =>
  fetch(`${h.base}${path}`, { method: 'POST', redirect: 'manual', body: new URLSearchParams(body).toString(), headers: { 'content-type': FORM, origin: h.base, ...HQ, ...headers } });
const text = (html: string) => html.replace(/<[^>]+>/g, ' ').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&').replace(/\s+/g, ' ');

const today = localDateOf(Date.now(), 'UTC');
// The harness's plan starts 60 days ago; f-overdue was due 10 days after; f-hq is due on the plan's last day.
const overdueDay = addDays(addDays(today, -60), 10);
const findingPath = (plan: string, f: string) => `/hq/plans/${plan}/findings/${f}`;

async function extendFormOf(path: string) {
  const res = await get(path);
  const html = await res.text();
  const form = /<form method="post" action="([^"]+)" class="extend" id="extend-form" novalidate>\n<input type="hidden" name="csrf" value="([^"]+)">\n<input type="hidden" name="requestId" value="([^"]+)">/.exec(html);
  return { status: res.status, html, action: form?.[1] ?? '', csrf: form?.[2] ?? '', requestId: form?.[3] ?? '', csrfAny: /name="csrf" value="([^"]+)"/.exec(html)?.[1] ?? '' };
}

let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
}, 60_000);
afterAll(async () => {
  await browser?.close();
});

describe("the extension form on a finding's page", () => {
  test('is on the page of an open or overdue finding only; a post for one not assigned yet is refused', async () => {
    const overdue = await extendFormOf(findingPath(planId, 'f-overdue'));
    expect(overdue.action).toBe(`${findingPath(planId, 'f-overdue')}/extend`);
    expect(overdue.html).toContain(`<h2>${en.extend.findingTitle}</h2>`);
    const future = await extendFormOf(findingPath(planId, 'f-future'));
    expect(future.status).toBe(200);
    expect(future.html).not.toContain('id="extend-form"');
    const refused = await post(`${findingPath(planId, 'f-future')}/extend`, { csrf: future.csrfAny, requestId: 'future-1', until: addDays(today, 5), reason: 'Early.' });
    expect(refused.status).toBe(409);
    expect(text(await refused.text())).toMatch(/Nothing was extended: Finding f-future has not been assigned yet; it is assigned on /);
    const unknown = await post(`${findingPath(planId, 'f-nope')}/extend`, { csrf: future.csrfAny, requestId: 'nope-1', until: addDays(today, 5), reason: 'x' });
    expect(unknown.status).toBe(404);
  });

  test('a post from elsewhere or without the CSRF token is refused and changes nothing', async () => {
    const path = findingPath(planId, 'f-overdue');
    const page = await extendFormOf(path);
    const body = { csrf: page.csrf, requestId: page.requestId, until: addDays(today, 5), reason: 'Flood.' };
    expect((await post(`${path}/extend`, body, { origin: 'https://evil.example' })).status).toBe(403);
    expect((await post(`${path}/extend`, { ...body, csrf: 'A'.repeat(43) })).status).toBe(403);
    expect((await findingLife(h.db, planId, 'f-overdue')).extensions).toEqual([]);
  });

  test('an overdue finding: a day already passed is refused next to its field; a later one answers with the receipt and moves the deadline', async () => {
    const path = findingPath(planId, 'f-overdue');
    const page = await extendFormOf(path);
    const yesterday = addDays(today, -1);
    const passed = await post(`${path}/extend`, { csrf: page.csrf, requestId: page.requestId, until: yesterday, reason: 'Flood.' });
    expect(passed.status).toBe(400);
    const html = await passed.text();
    const sentence = `${yesterday} gives the due day ${yesterday}, which has already passed (today is ${today}).`;
    expect(html).toContain(`<p class="error" id="extend-until-error" data-field="until">${sentence}</p>`);
    expect(html).toContain(`name="requestId" value="${page.requestId}"`);
    const until = addDays(today, 5);
    const body = { csrf: page.csrf, requestId: page.requestId, until, reason: 'The archive was flooded.', by: 'HQ duty officer' };
    const ok = await post(`${path}/extend`, body);
    expect(ok.status).toBe(200);
    const after = await ok.text();
    expect(text(after)).toContain(en.extend.finding(1, localDay(en, until), localDay(en, overdueDay)));
    expect(after).toContain('data-finding="f-overdue" data-state="open"');
    expect(text(after)).toContain(`Deadline day ${localDay(en, until)}`);
    expect(after).toContain('<tr data-type="action" data-kind="extend">');
    expect(text(after)).toContain(`${overdueDay} → ${until}: The archive was flooded.`);
    const again = await post(`${path}/extend`, body);
    expect(text(await again.text())).toContain(en.extend.duplicate);
    expect((await findingLife(h.db, planId, 'f-overdue')).extensions.map((x) => [x.requestId, x.dueDay, x.previousDueDay, x.by])).toEqual([[page.requestId, until, overdueDay, 'HQ duty officer']]);
    const mail = await mailWithKey(h, `${planId}/finding/f-overdue/finding-extended/r1/1`);
    expect(mail.to).toEqual(['beta@example.org', 'beta-desk@example.org']);
    expect(mail.parsed.text).toContain('Reason for the extension: The archive was flooded.');
    await new Promise((r) => setTimeout(r, 500));
    expect(h.sink.messages.filter((m) => m.headers.get('x-review-cycles-key') === `${planId}/finding/f-overdue/finding-extended/r1/1`)).toHaveLength(1);
    // Its timeline now has the notice too.
    await waitFor('the notice in the timeline', async () => ((await (await get(path)).text()).includes('data-kind="finding-extended"') ? true : undefined));
  });

  test("a Chinese plan's finding page says the refusal and the receipt in Chinese", async () => {
    const path = findingPath(zhPlanId, 'f-overdue');
    const page = await extendFormOf(path);
    expect(page.html).toContain(`<label for="extend-until">${zhCN.extend.until}</label>`);
    const refused = await post(`${path}/extend`, { csrf: page.csrf, requestId: page.requestId, until: overdueDay, reason: '汛期' });
    expect(refused.status).toBe(400);
    expect(text(await refused.text())).toContain(`${zhCN.extend.notSent} ${overdueDay} 对应的整改期限为 ${overdueDay}，不晚于该问题当前的整改期限 ${overdueDay}。`);
    const until = addDays(today, 3);
    const ok = await post(`${path}/extend`, { csrf: page.csrf, requestId: page.requestId, until, reason: '汛期' });
    expect(ok.status).toBe(200);
    expect(text(await ok.text())).toContain(zhCN.extend.finding(1, localDay(zhCN, until), localDay(zhCN, overdueDay)));
  });

  test('in Chromium: headquarters extends an open finding from its page', async () => {
    const hq = await browser.newContext({ httpCredentials: { username: 'headquarters', password: HQ_CREDENTIAL } });
    const page = await hq.newPage();
    await page.goto(`${h.base}${findingPath(planId, 'f-hq')}`);
    const current = (await findingLife(h.db, planId, 'f-hq')).status.deadlineDay!;
    await page.fill('#extend-until', current);
    await page.fill('#extend-reason', 'Auditors are on leave.');
    await page.locator('#extend').click();
    await expect.poll(() => page.locator('#extend-until-error').textContent()).toContain("which is not after the finding's current deadline day");
    const until = addDays(current, 14);
    await page.fill('#extend-until', until);
    await page.locator('#extend').click();
    await expect.poll(() => page.locator('#extend-receipt').textContent()).toContain(en.extend.finding(1, localDay(en, until), localDay(en, current)));
    expect(await page.locator('table.facts [data-fact="deadline"] td').textContent()).toBe(localDay(en, until));
    expect((await findingLife(h.db, planId, 'f-hq')).status).toMatchObject({ deadlineDay: until, state: 'open' });
    await hq.close();
  });
});
