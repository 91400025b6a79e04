/**
 * The amend page in a real headless Chromium (Debian's package, driven by playwright-core), against a real dev server,
 * worker and PostgreSQL: headquarters opens it from the dashboard, uploads the edited plan file, reads the preview,
 * confirms, and sees version 2 in force on the dashboard and in the version history. Fails (never skips) without
 * Chromium.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { stringify } from 'yaml';
import { storedPlan } from '../../store/records.js';
import { planHistory } from '../../store/versions.js';
import { launchChromium } from '../helpers/browser.js';
import { HQ_CREDENTIAL, usePortal } from './harness.js';

const artifacts = resolve(fileURLToPath(new URL('../..', import.meta.url)), 'test-artifacts');
const planId = `portal-amend-browser-${process.pid}-${Date.now()}`;
const h = usePortal('amend-browser', [{ id: planId }]);
let browser: Browser;
let dir: string;

beforeAll(async () => {
  browser = await launchChromium();
  mkdirSync(artifacts, { recursive: true });
  dir = mkdtempSync(join(tmpdir(), 'rc-amend-browser-'));
}, 60_000);

afterAll(async () => {
  await browser?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('headquarters uploads the edited plan, reads the preview, confirms, and sees version 2 in force and in the history', async () => {
  const [first] = await planHistory(h.db, planId, { withPlan: true });
  const v1 = first.plan!;
  const file = join(dir, 'plan-v2.yaml');
  writeFileSync(file, stringify({ ...v1, units: [...v1.units, { id: 'gamma', name: 'Gamma Office', email: 'gamma@example.org' }], tasks: [v1.tasks[0], { ...v1.tasks[1], units: ['gamma'] }] }));

  const hq = await browser.newContext({ httpCredentials: { username: 'headquarters', password: HQ_CREDENTIAL } });
  const dash = await hq.newPage();
  await dash.goto(`${h.base}/hq/plans/${planId}`);
  expect(await dash.locator('#version-in-force').textContent()).toMatch(/^Version 1 in force since .+: the plan as started/);
  await dash.locator('#amend-link').click();
  await dash.waitForURL(`${h.base}/hq/plans/${planId}/amend`);
  await dash.setInputFiles('#file', file);
  await dash.fill('#reason', 'Gamma takes over t2');
  await dash.fill('#by', 'HQ desk');
  await dash.locator('#preview').click();
  await expect.poll(() => dash.locator('h1').textContent()).toContain('Amending version 1');
  expect(await dash.locator('#difference li').allTextContents()).toEqual(['unit gamma added ("Gamma Office", gamma@example.org)', 'task t2: unit beta left, unit gamma joined']);
  expect((await dash.locator('#moved li').allTextContents())[0]).toMatch(new RegExp(`^${h.current} request for t2/gamma is added at `));
  await dash.screenshot({ path: join(artifacts, 'portal-amend-preview.png'), fullPage: true });
  expect((await storedPlan(h.db, planId))!.version).toBe(1);

  await dash.locator('#confirm').click();
  await expect.poll(() => dash.locator('#amended').getAttribute('data-version')).toBe('2');
  expect(await dash.locator('#amended').textContent()).toMatch(/^The amendment is applied as version 2 \(.+\)\.$/);
  expect((await storedPlan(h.db, planId))!.version).toBe(2);

  await dash.goto(`${h.base}/hq/plans/${planId}`);
  expect(await dash.locator('#version-in-force').textContent()).toMatch(/^Version 2 in force since .+: Gamma takes over t2/);
  await dash.locator('#history-link').click();
  await dash.waitForURL(`${h.base}/hq/plans/${planId}/versions`);
  expect(await dash.locator('#versions tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-version')))).toEqual(['2', '1']);
  expect(await dash.locator('#versions tr[data-version="2"] li').allTextContents()).toEqual(['unit gamma added ("Gamma Office", gamma@example.org)', 'task t2: unit beta left, unit gamma joined']);
  await dash.screenshot({ path: join(artifacts, 'portal-amend-history.png'), fullPage: true });

  // The same file and reason once more: already applied, nothing changed.
  await dash.goto(`${h.base}/hq/plans/${planId}/amend`);
  await dash.setInputFiles('#file', file);
  await dash.fill('#reason', 'Gamma takes over t2');
  await dash.locator('#preview').click();
  await expect.poll(() => dash.locator('#amended').textContent()).toBe('This amendment was already applied as version 2: nothing changed.');
  expect(await planHistory(h.db, planId)).toHaveLength(2);
  await hq.close();
});
