/**
 * A finding's rectification end to end in a real headless Chromium (Debian's package, driven by playwright-core),
 * against a real portal, PostgreSQL, Temporal dev server and worker: the unit opens the link of its assignment notice
 * and claims the finding with evidence; the verifier unit opens the link of the claim's notice and rejects it with a
 * reason; the unit, told why, claims again; the verifier accepts. Fails (never skips) without Chromium.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { findingsOf } from '../../client/findings.js';
import { runningPlan } from '../../client/plans.js';
import { findingActions } from '../../store/findings.js';
import { mailWithKey, signedLinkIn, useFindingsPortal } from './findings-harness.js';
import { launchChromium } from '../helpers/browser.js';

const artifacts = resolve(fileURLToPath(new URL('../..', import.meta.url)), 'test-artifacts');
const planId = `portal-findings-browser-${process.pid}-${Date.now()}`;
const h = useFindingsPortal('findings-browser', [{ id: planId }]);
let browser: Browser;

beforeAll(async () => {
  browser = await launchChromium();
  mkdirSync(artifacts, { recursive: true });
}, 60_000);

afterAll(async () => {
  await browser?.close();
});

const mailOf = (key: string) => mailWithKey(h, `${planId}/finding/${key}`);
const statusOf = async (findingId: string) => (await findingsOf(h.db, await runningPlan(h.db, planId))).find((f) => f.findingId === findingId)!;

test('a unit claims a finding with evidence, its verifier unit rejects it with a reason, the unit claims again and the verifier accepts', async () => {
  // The unit: from its assignment notice to its finding page.
  const assigned = await mailOf('f-alpha/finding-assigned/r1/1');
  const findingLink = signedLinkIn(h, assigned.parsed.text, 'finding-link', { plan: planId, unit: 'alpha', finding: 'f-alpha' });
  expect(findingLink, 'the assignment carries the finding page link').toBeDefined();
  const unit = await (await browser.newContext()).newPage();
  await unit.goto(findingLink!);
  await expect.poll(() => unit.locator('h1').textContent()).toBe('Finding f-alpha: Approvals <overdue> & late');
  await unit.getByRole('button', { name: 'Continue' }).click();
  await unit.waitForURL(`${h.base}/findings/f-alpha`);
  expect(await unit.locator('table.facts').getAttribute('data-state')).toBe('open');
  expect(await unit.locator('table.facts').textContent()).toContain('Seen in <b>three</b> counties.');

  await unit.getByLabel('Evidence of the rectification (required)').fill('Approvals cleared: 42 of 42 <signed>.');
  await unit.getByLabel('Links to the evidence (optional, one http(s) address a line)').fill('https://example.org/approvals.pdf\nhttps://example.org/register?x=1&y=2');
  await unit.getByLabel('Sent by (optional)').first().fill('Ann Alpha');
  await unit.getByRole('button', { name: 'Claim rectified' }).click();
  await expect.poll(() => unit.locator('.receipt').textContent()).toContain('Your claim was received (claim 1); the verifier has been notified.');
  expect(await unit.locator('table.facts').getAttribute('data-state')).toBe('claimed');
  expect(await unit.locator('form.claim').count()).toBe(0);
  await unit.screenshot({ path: join(artifacts, 'portal-finding-claimed.png'), fullPage: true });

  // The verifier unit: from the claim's notice to its page, where it rejects with a reason.
  const received = await mailOf('f-alpha/claim-received/r1/1');
  expect(received.to).toEqual(['beta@example.org', 'beta-desk@example.org']);
  const verifierLink = signedLinkIn(h, received.parsed.text, 'verifier-link', { plan: planId, verifier: 'beta' });
  expect(verifierLink, 'the claim notice carries the verifier page link').toBeDefined();
  const verifier = await (await browser.newContext()).newPage();
  await verifier.goto(verifierLink!);
  await expect.poll(() => verifier.locator('h1').textContent()).toBe('Findings you verify');
  await verifier.getByRole('button', { name: 'Continue' }).click();
  await verifier.waitForURL(`${h.base}/verify`);
  const section = verifier.locator('#finding-f-alpha');
  expect(await section.locator('.evidence-text').textContent()).toBe('Approvals cleared: 42 of 42 <signed>.');
  expect(await section.locator('.evidence a').evaluateAll((as) => as.map((a) => a.getAttribute('href')))).toEqual(['https://example.org/approvals.pdf', 'https://example.org/register?x=1&y=2']);
  // Only the findings beta verifies are on its page.
  expect(await verifier.locator('section.verify').count()).toBe(1);
  await section.locator('form.reject').getByLabel('Reason for the rejection (required)').fill('The register of approvals is missing.');
  await verifier.screenshot({ path: join(artifacts, 'portal-finding-verifier.png'), fullPage: true });
  await section.locator('form.reject').getByRole('button', { name: 'Reject the claim' }).click();
  await expect.poll(() => verifier.locator('#finding-f-alpha .receipt').textContent()).toMatch(/^Claim 1 is rejected; the unit has been told why and must rectify the finding by /);
  expect(await verifier.locator('#finding-f-alpha').getAttribute('data-state')).toBe('open');

  // The unit is told why, and claims again from the same page.
  const rejected = await mailOf('f-alpha/claim-rejected/r1/1');
  expect(rejected.to).toEqual(['alpha@example.org']);
  expect(rejected.parsed.text).toContain('The register of approvals is missing.');
  expect(signedLinkIn(h, rejected.parsed.text, 'finding-link', { plan: planId, unit: 'alpha', finding: 'f-alpha' })).toBeDefined();
  await unit.goto(`${h.base}/findings/f-alpha`);
  expect(await unit.locator('table.facts [data-fact="round"] td').textContent()).toBe('2');
  expect(await unit.locator('table.actions').textContent()).toContain('The register of approvals is missing.');
  await unit.getByLabel('Evidence of the rectification (required)').fill('Register added: see the second link.');
  await unit.getByLabel('Links to the evidence (optional, one http(s) address a line)').fill('https://example.org/register-2027.xlsx');
  await unit.getByRole('button', { name: 'Claim rectified' }).click();
  await expect.poll(() => unit.locator('.receipt').textContent()).toContain('Your claim was received (claim 2)');

  // The verifier sees the second claim's evidence and accepts it.
  await mailOf('f-alpha/claim-received/r2/2');
  await verifier.goto(`${h.base}/verify`);
  expect(await verifier.locator('#finding-f-alpha .evidence').getAttribute('data-claim')).toBe('2');
  expect(await verifier.locator('#finding-f-alpha .evidence-text').textContent()).toBe('Register added: see the second link.');
  await verifier.locator('#finding-f-alpha form.accept').getByLabel('Comment (optional)').fill('Checked the register.');
  await verifier.locator('#finding-f-alpha form.accept').getByRole('button', { name: 'Accept the claim' }).click();
  await expect.poll(() => verifier.locator('#finding-f-alpha .receipt').textContent()).toBe('Claim 2 is accepted: the finding is closed.');
  expect(await verifier.locator('#finding-f-alpha').getAttribute('data-state')).toBe('closed');
  await verifier.screenshot({ path: join(artifacts, 'portal-finding-accepted.png'), fullPage: true });

  // The unit's page shows it closed; the system of record has the whole life with who, when and what.
  await unit.goto(`${h.base}/findings/f-alpha`);
  expect(await unit.locator('#closed').count()).toBe(1);
  expect(await statusOf('f-alpha')).toMatchObject({ state: 'closed', round: 2, claims: 2, closedOnTime: true, daysLate: 0 });
  const actions = await findingActions(h.db, planId, 'f-alpha');
  expect(actions.map((a) => [a.action, a.actor, a.round, a.claim, a.text])).toEqual([
    ['claim', 'alpha', 1, 1, 'Approvals cleared: 42 of 42 <signed>.'],
    ['reject', 'beta', 2, 1, 'The register of approvals is missing.'],
    ['claim', 'alpha', 2, 2, 'Register added: see the second link.'],
    ['accept', 'beta', 2, 2, 'Checked the register.'],
  ]);
  expect(actions[0].links).toEqual(['https://example.org/approvals.pdf', 'https://example.org/register?x=1&y=2']);
  expect(actions[0].by).toBe('Ann Alpha');
  await unit.context().close();
  await verifier.context().close();
});
