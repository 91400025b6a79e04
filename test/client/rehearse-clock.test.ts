/**
 * The rehearsal's clock on a real time-skipping server: it stops exactly at the instant asked for, never moves back,
 * and, held by someone else, waits instead of running past (the case where a sleep sent twice ran the clock on).
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { skippingClock, type SkippingClock } from '../../client/rehearse/clock.js';
import { timeSkippingEnv } from '../helpers/temporal.js';

const DAY = 86_400_000;
let env: TestWorkflowEnvironment;
let clock: SkippingClock;

beforeAll(async () => {
  env = await timeSkippingEnv();
  clock = await skippingClock(env);
}, 60_000);

afterAll(async () => {
  await clock?.close();
  await env?.teardown();
});

describe('the rehearsal clock', () => {
  it('stops at the instant asked for, and does not move for one already past', async () => {
    const start = await clock.now();
    const target = start + 65 * DAY;
    await clock.advanceTo(target);
    const reached = await env.currentTimeMs();
    expect(reached).toBeGreaterThanOrEqual(target);
    expect(reached - target).toBeLessThan(5_000);
    await clock.advanceTo(start);
    expect((await clock.now()) - reached).toBeLessThan(5_000);
  });

  it('while the clock is held elsewhere, a move waits and then stops at its instant', async () => {
    await env.connection.testService!.lockTimeSkipping({});
    const target = (await clock.now()) + 10 * DAY;
    let done = false;
    const moving = clock.advanceTo(target).then(() => (done = true));
    await new Promise((r) => setTimeout(r, 1_500));
    expect(done).toBe(false);
    await env.connection.testService!.unlockTimeSkipping({});
    await moving;
    const reached = await clock.now();
    expect(reached).toBeGreaterThanOrEqual(target);
    expect(reached - target).toBeLessThan(5_000);
  });
});
