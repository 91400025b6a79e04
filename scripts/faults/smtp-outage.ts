/**
 * `smtp-outage`: the SMTP server is down (connections refused) before the plan's requests go out and for a while
 * after. Meanwhile the status shows every affected period `retrying` (planStatus and the CLI's `plan status`); once the
 * server is back, every notice is delivered exactly once within the bound the retry policy gives (MAIL_RETRY in
 * workflows/contract/notice.ts: 5 s doubling to at most 1 minute, so within 75 s of the server's return), and
 * `retrying` disappears.
 */
import { messageIdFor } from '../../activities/notices/message-id.js';
import { awaitRecordedPlan, planStatus, startPlan } from '../../client/plans.js';
import { emptyReport, livePlan, liveStack, noticeRows, periodIn, runCli, waitFor } from './live.js';
import type { Scenario } from './scenarios.js';
import { seeded, sleep, tally } from './support.js';

/** The longest backoff of MAIL_RETRY (1 minute), plus what one retry of the batch takes. */
const BOUND_MS = 75_000;

export const smtpOutage: Scenario = async ({ say, seed }) => {
  const t0 = Date.now();
  const report = emptyReport('smtp-outage');
  const problems = report.problems;
  const random = seeded(seed ^ 0x5e7a);
  const outageMs = 40_000 + Math.floor(random() * 30_000);
  const planId = `faults-outage-${Date.now()}`;
  const { plan, current, pairs } = livePlan(planId, { units: 10, tasks: 10, unitsPerTask: 2 });
  const stack = await liveStack('outage');
  try {
    const { smtp, db } = stack;
    const expected = new Map(pairs.map((p) => [messageIdFor({ planId, taskId: p.taskId, unitId: p.unitId, period: current, kind: 'request', number: 1 }), p]));
    report.notices.expected = expected.size;
    await smtp.stop();
    const outageStart = Date.now();
    report.faults = { 'SMTP outage (connections refused)': 1 };
    await stack.startWorker('outage');
    await startPlan(stack.client, plan, stack.taskQueue);
    if (!(await awaitRecordedPlan(db, planId, 30_000))) throw new Error('the worker did not record the plan within 30 s');
    say(`plan ${planId}: ${expected.size} requests; the SMTP server is down for ${(outageMs / 1000).toFixed(0)} s`);

    // Every affected period shows `retrying`, and the plan lists them all.
    const shown = await waitFor(outageMs - (Date.now() - outageStart) - 8_000, async () => {
      const status = await planStatus(db, planId);
      const all = pairs.every((p) => periodIn(status, p.taskId, p.unitId, current)?.retrying?.some((r) => r.kind === 'request'));
      return all && status.retrying?.length === expected.size ? status : undefined;
    }, 500);
    if (!shown) {
      const status = await planStatus(db, planId);
      const flagged = pairs.filter((p) => periodIn(status, p.taskId, p.unitId, current)?.retrying?.length).length;
      problems.push(`during the outage planStatus showed retrying on ${flagged} of ${pairs.length} periods and ${status.retrying?.length ?? 0} notice(s) in status.retrying`);
    }
    const text = await runCli(['plan', 'status', planId], stack.env);
    if (text.code !== 0) problems.push(`plan status during the outage exited ${text.code}: ${text.stderr.trim()}`);
    else if (!/not delivered yet, retrying since/.test(text.stdout)) problems.push(`plan status during the outage does not say "not delivered yet, retrying since":\n${text.stdout.slice(0, 600)}`);

    await sleep(Math.max(0, outageMs - (Date.now() - outageStart)));
    const attemptsDuring = Math.max(0, ...(await noticeRows(db, planId)).map((r) => r.attempts));
    await smtp.start();
    const outageEnd = Date.now();
    say(`the SMTP server is back after ${((outageEnd - outageStart) / 1000).toFixed(1)} s (${attemptsDuring} hand-over attempts per notice meanwhile)`);

    const all = await waitFor(BOUND_MS + 20_000, () => (new Set(smtp.received.map((r) => r.messageId)).size >= expected.size ? true : undefined), 100);
    if (!all) problems.push(`only ${new Set(smtp.received.map((r) => r.messageId)).size} of ${expected.size} notices arrived within ${(BOUND_MS + 20_000) / 1000} s of the server's return`);
    const cleared = await waitFor(15_000, async () => {
      const status = await planStatus(db, planId);
      return !status.retrying?.length && pairs.every((p) => !periodIn(status, p.taskId, p.unitId, current)?.retrying) ? true : undefined;
    }, 250);
    if (!cleared) problems.push('planStatus still shows retrying 15 s after every notice arrived');
    await sleep(2_000); // a copy beyond the first would arrive now

    const { distinct, duplicated } = tally(smtp.received);
    report.notices.duplicated = duplicated;
    report.notices.delivered = [...distinct.keys()].filter((id) => expected.has(id)).length;
    const rows = new Map((await noticeRows(db, planId)).map((r) => [r.messageId, r]));
    let maxFromInstant = 0;
    for (const [id, p] of expected) {
      const copies = distinct.get(id) ?? [];
      if (copies.length !== 1) problems.push(`the request to ${p.taskId}/${p.unitId} arrived ${copies.length} times (expected once)`);
      if (!copies.length) continue;
      const delay = copies[0].at - outageEnd;
      if (delay > 0) report.notices.late++;
      report.notices.maxDelayMs = Math.max(report.notices.maxDelayMs, delay);
      if (delay > BOUND_MS) problems.push(`the request to ${p.taskId}/${p.unitId} arrived ${(delay / 1000).toFixed(1)} s after the server's return (bound ${BOUND_MS / 1000} s)`);
      const row = rows.get(id);
      if (row?.status !== 'sent') problems.push(`the request to ${p.taskId}/${p.unitId} ends ${row?.status ?? 'missing'} in the notices table`);
      if (row) maxFromInstant = Math.max(maxFromInstant, copies[0].at - row.at.getTime());
    }
    const after = await runCli(['plan', 'status', planId], stack.env);
    if (/not delivered yet/.test(after.stdout)) problems.push('plan status still says "not delivered yet" after every notice arrived');
    report.note =
      `SMTP refused connections for ${((outageEnd - outageStart) / 1000).toFixed(0)} s from before the requests; meanwhile every affected period and the plan showed ` +
      `retrying (CLI: "not delivered yet, retrying since"); after the return every notice arrived once, at most ${(report.notices.maxDelayMs / 1000).toFixed(1)} s later ` +
      `(bound ${BOUND_MS / 1000} s: MAIL_RETRY's 1-minute cap), at most ${(maxFromInstant / 1000).toFixed(1)} s after its own instant, and retrying cleared.`;
  } finally {
    await stack.close();
  }
  report.wallSeconds = (Date.now() - t0) / 1000;
  return report;
};
