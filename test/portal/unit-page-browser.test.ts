/**
 * A unit's page in a real headless Chromium (Debian's package, driven by playwright-core): the unit opens the unit
 * link from its caught request, continues, fills three open reports and submits them together, and sees three
 * receipts, one next to each report. Fails (never skips) without Chromium.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { periodStatus, usePortal, waitFor } from './harness.js';
import { launchChromium } from '../helpers/browser.js';

const artifacts = resolve(fileURLToPath(new URL('../..', import.meta.url)), 'test-artifacts');
const planId = `portal-unit-browser-${process.pid}-${Date.now()}`;
const tasks = [
  { id: 't1', aspect: 'a', title: 'Task One', units: ['alpha'] },
  { id: 't2', aspect: 'a', title: 'Task Two', units: ['beta'] },
  { id: 't3', aspect: 'a', title: 'Task Three', units: ['alpha'] },
  { id: 't4', aspect: 'a', title: 'Task Four', units: ['alpha'] },
];
const h = usePortal('unit-browser', [{ id: planId, overrides: { tasks } }]);
let browser: Browser;

beforeAll(async () => {
  browser = await launchChromium();
  mkdirSync(artifacts, { recursive: true });
}, 60_000);

afterAll(async () => {
  await browser?.close();
});

test("a unit submits three reports at once from its page and sees three receipts", async () => {
  const request = await waitFor('a request notice for alpha', async () => h.sink.messages.find((m) => m.headers.get('x-review-cycles-kind') === 'request' && m.to.includes('alpha@example.org')));
  const link = new RegExp(`${h.base.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/u/[A-Za-z0-9._-]+`).exec(request.parsed.text ?? '')?.[0];
  expect(link, 'the request notice carries the unit page link').toBeDefined();

  const unit = await browser.newContext();
  const tab = await unit.newPage();
  await tab.goto(link!);
  await expect.poll(() => tab.locator('h1').textContent()).toBe('Your reports');
  await tab.getByRole('button', { name: 'Continue' }).click();
  await tab.waitForURL(`${h.base}/unit`);
  expect(tab.url()).not.toContain('/u/');

  // The three open reports come first, each with a form.
  const open = tab.locator('#reports tr[data-open="true"]');
  expect(await open.count()).toBe(3);
  expect(await tab.locator('#reports tbody tr').nth(3).getAttribute('data-open')).toBe('false');
  const fills: Record<string, { status: string; summary: string; progress: string }> = {
    t1: { status: 'on-track', summary: 'Task one on schedule.', progress: '40' },
    t3: { status: 'at-risk', summary: 'Task three: <b>supplier</b> delay.', progress: '15' },
    t4: { status: 'off-track', summary: 'Task four not started.', progress: '0' },
  };
  for (const [task, f] of Object.entries(fills)) {
    const set = tab.locator(`fieldset.report[data-task="${task}"][data-period="${h.current}"]`);
    await set.getByLabel('Send this report').check();
    await set.getByLabel('Status').selectOption(f.status);
    await set.getByLabel('Summary of progress').fill(f.summary);
    await set.getByLabel('Progress towards the target').fill(f.progress);
    await set.getByLabel('Submitted by').fill('Ann Alpha');
  }
  await tab.screenshot({ path: join(artifacts, 'portal-unit-page.png'), fullPage: true });
  await tab.getByRole('button', { name: 'Submit the ticked reports' }).click();
  await tab.waitForURL(`${h.base}/unit`);

  // Three receipts, each next to its own report, now listed as submitted.
  await expect.poll(() => tab.locator('#reports .receipt').count()).toBe(3);
  for (const task of Object.keys(fills)) {
    const row = tab.locator(`#reports tr[data-task="${task}"][data-period="${h.current}"]`);
    expect(await row.locator('.receipt').textContent()).toBe('Your report was received on time (revision 1).');
    expect(await row.getAttribute('data-state')).toBe('submitted');
  }
  expect(await tab.locator('fieldset.report').count()).toBe(0);
  await tab.screenshot({ path: join(artifacts, 'portal-unit-page-receipts.png'), fullPage: true });
  for (const task of Object.keys(fills)) expect((await periodStatus(h.db, planId, task, 'alpha', h.current))!.revisions).toBe(1);
  expect((await periodStatus(h.db, planId, 't4', 'alpha', h.current))!.reportStatus).toBe('off-track');
  await unit.close();
});
