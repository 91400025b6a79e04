/** What the workflow tests share: an engine over the test server and a test database, and bounded waits. */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type pg from 'pg';
import { awaitRecordedPlan, type Engine } from '../../client/plans.js';

/** The engine the client functions write through: the test server's client and the test database. */
export function engineOf(env: TestWorkflowEnvironment, db: pg.Pool): Engine {
  return { client: env.client, db, stampArrival: false };
}

/** Lets the server's clock run on to `iso` (nothing when it is already past). */
export async function sleepUntil(env: TestWorkflowEnvironment, iso: string): Promise<void> {
  const now = await env.currentTimeMs();
  if (Date.parse(iso) > now) await env.sleep(Date.parse(iso) - now);
}

/** Waits (in real time) until the plan workflow has recorded its plan; writes find the layout there. */
export async function recordedPlan(db: pg.Pool, planId: string): Promise<void> {
  if (!(await awaitRecordedPlan(db, planId, 20_000))) throw new Error(`plan ${planId} was not recorded within 20 s`);
}

/**
 * Polls `read` (in real time, so a time-skipping server does not run on) until `check` passes, at most `ms`; then
 * returns the last value read, so the caller's own assertion shows the difference.
 */
export async function eventually<T>(read: () => Promise<T>, check: (value: T) => boolean, ms = 15_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (check(value) || Date.now() > until) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
}
