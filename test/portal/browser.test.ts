/**
 * The portal in a real headless Chromium (Debian's package, driven by playwright-core): a unit opens the link from
 * its caught request, continues, fills and submits the form; headquarters sees it counted on the plan's summary, opens
 * the aspect's heatmap, then the report, and returns it; the `returned` notice reaches the SMTP sink, and the unit is
 * marked lagging and kept by the lagging filter. Fails (never skips) without Chromium.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { HQ_CREDENTIAL, periodStatus, usePortal, waitFor } from './harness.js';
import { launchChromium } from '../helpers/browser.js';

const artifacts = resolve(fileURLToPath(new URL('../..', import.meta.url)), 'test-artifacts');
const planId = `portal-browser-${process.pid}-${Date.now()}`;
const h = usePortal('browser', [{ id: planId }]);
let browser: Browser;

beforeAll(async () => {
  browser = await launchChromium();
  mkdirSync(artifacts, { recursive: true });
}, 60_000);

afterAll(async () => {
  await browser?.close();
});

const kindOf = (m: { headers: Map<string, unknown> }) => String(m.headers.get('x-review-cycles-kind') ?? '');

test('a unit reports from the link in its e-mail; headquarters sees it and returns it; the unit is told', async () => {
  // The request notice for alpha, as caught by the SMTP sink, carries the signed link to its report form.
  const request = await waitFor('the request notice for alpha', async () => h.sink.messages.find((m) => kindOf(m) === 'request' && m.to.includes('alpha@example.org')));
  const link = new RegExp(`${h.base.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/r/[A-Za-z0-9._-]+`).exec(request.parsed.text ?? '')?.[0];
  expect(link, 'the request notice carries a report link').toBeDefined();

  const unit = await browser.newContext();
  const form = await unit.newPage();
  await form.goto(link!);
  await expect.poll(() => form.locator('h1').textContent()).toBe('Progress report');
  await form.getByRole('button', { name: 'Continue' }).click();
  await form.waitForURL(`${h.base}/report`);
  expect(form.url()).not.toContain('/r/');
  expect(await form.textContent('main')).toContain('Task One');
  await form.selectOption('#status', 'at-risk');
  await form.fill('#summary', 'Two of three sites done; <script>alert(1)</script> stays text.');
  await form.fill('#progress', '66');
  await form.fill('#problems', 'Supplier delay.');
  await form.fill('#nextSteps', 'Finish the third site.');
  await form.fill('#submittedBy', 'Ann Alpha');
  await form.screenshot({ path: join(artifacts, 'portal-form.png'), fullPage: true });
  await form.getByRole('button', { name: 'Submit report' }).click();
  await expect.poll(() => form.locator('#receipt').textContent()).toBe('Your report was received on time (revision 1).');
  expect((await periodStatus(h.db, planId, 't1', 'alpha', h.current))!.revisions).toBe(1);

  const hq = await browser.newContext({ httpCredentials: { username: 'headquarters', password: HQ_CREDENTIAL } });
  const dash = await hq.newPage();
  // The plan's summary counts alpha's report as submitted; the aspect's heatmap shows its cell.
  await dash.goto(`${h.base}/hq/plans/${planId}`);
  expect(await dash.locator('#by-unit tr[data-unit="alpha"] td[data-state="submitted"]').textContent()).toBe('1');
  expect(await dash.locator('#by-unit tr[data-unit="beta"] td[data-state="requested"]').textContent()).toBe('1');
  await dash.screenshot({ path: join(artifacts, 'portal-dashboard.png'), fullPage: true });
  await dash.locator('#by-aspect tr[data-aspect="a"] a').click();
  await dash.waitForURL(`${h.base}/hq/plans/${planId}/aspects/a`);
  const cell = dash.locator(`td[data-task="t1"][data-unit="alpha"][data-period="${h.current}"]`);
  expect(await cell.getAttribute('data-state')).toBe('submitted');
  expect(await dash.locator(`td[data-task="t2"][data-unit="beta"][data-period="${h.current}"]`).getAttribute('data-state')).toBe('requested');
  await dash.screenshot({ path: join(artifacts, 'portal-aspect.png'), fullPage: true });

  await cell.locator('a').click();
  await dash.waitForURL(`${h.base}/hq/plans/${planId}/reports/t1/alpha/${h.current}`);
  expect(await dash.locator('.revision pre').first().textContent()).toBeTruthy();
  expect(await dash.content()).toContain('&lt;script&gt;alert(1)&lt;/script&gt; stays text.');
  await dash.fill('#comment', 'Please add the dates for the third site.');
  await dash.locator('#return').click();
  await expect.poll(() => dash.locator('#decision').getAttribute('data-decision')).toBe('return');
  expect(await dash.locator('#decision').textContent()).toMatch(/^The report is returned for revision \(time 1\)\. The revision is due on .+; the unit has been notified\.$/);

  const returned = await waitFor('the returned notice', async () => h.sink.messages.find((m) => kindOf(m) === 'returned' && m.to.includes('alpha@example.org')));
  expect(returned.parsed.text).toContain('Please add the dates for the third site.');

  // The unit's form now says what to revise, and by when (once the database has the return).
  await waitFor('the return recorded', async () => ((await periodStatus(h.db, planId, 't1', 'alpha', h.current))?.review === 'returned' ? true : undefined));
  // Awaiting its revision, alpha is lagging: marked on the dashboard, and the only unit its lagging filter keeps.
  await dash.goto(`${h.base}/hq/plans/${planId}`);
  expect(await dash.locator('#by-unit tr[data-unit="alpha"]').getAttribute('data-lagging')).toBe('true');
  await dash.locator('#lagging-only').click();
  await dash.waitForURL(`${h.base}/hq/plans/${planId}?lagging=1`);
  expect(await dash.locator('#by-unit tr[data-unit]').count()).toBe(1);
  await dash.locator('#by-aspect tr[data-aspect="a"] a').click();
  await dash.waitForURL(`${h.base}/hq/plans/${planId}/aspects/a?lagging=1`);
  expect(await dash.locator(`td[data-task="t1"][data-unit="alpha"][data-period="${h.current}"]`).getAttribute('data-review')).toBe('returned');
  expect(await dash.locator('td[data-unit="beta"]').count()).toBe(0);
  await form.goto(`${h.base}/report`);
  expect(await form.textContent('main')).toContain('Headquarters returned the report; the revision is due on');
  expect(await form.inputValue('#summary')).toContain('<script>alert(1)</script>');
  await unit.close();
  await hq.close();
});
