/**
 * `smtp-outage`: the SMTP server is down (connections refused) from before the first notices and across several notice
 * instants: plan A's requests (at its start), plan B's requests (started about 12 s later, its own group), and a
 * `returned` notice (a report of plan A submitted and returned for revision about 20 s in, queued in plan A's group
 * behind its failing batch). Meanwhile the status shows every affected period `retrying` (planStatus and the CLI's
 * `plan status`); once the server is back, every notice the workflows handed over is delivered exactly once within
 * the bound the retry policy gives (MAIL_RETRY in workflows/contract/notice.ts: 5 s doubling to at most 1 minute, so
 * within 75 s of the server's return whatever its instant), and `retrying` disappears.
 */
import { awaitRecordedPlan, planStatus, returnReport, startPlan, submitReport } from '../../client/plans.js';
import { emptyReport, livePlan, liveStack, noticeRows, periodIn, runCli, waitFor } from './live.js';
import type { Scenario } from './scenarios.js';
import { seeded, sleep, tally } from './support.js';

/** The longest backoff of MAIL_RETRY (1 minute), plus what one retry of the batch (and the one queued behind it) takes. */
const BOUND_MS = 75_000;
/** When plan B starts and when plan A's report is returned, counted from the start of the outage. */
const SECOND_INSTANT_MS = 12_000;
const THIRD_INSTANT_MS = 20_000;

export const smtpOutage: Scenario = async ({ say, seed }) => {
  const t0 = Date.now();
  const report = emptyReport('smtp-outage');
  const problems = report.problems;
  const random = seeded(seed ^ 0x5e7a);
  // Long enough to cover the three instants and the status checks, with a random end.
  const outageMs = 45_000 + Math.floor(random() * 25_000);
  const stamp = Date.now();
  const a = { id: `faults-outage-a-${stamp}`, ...livePlan(`faults-outage-a-${stamp}`, { units: 10, tasks: 10, unitsPerTask: 2 }) };
  const b = { id: `faults-outage-b-${stamp}`, ...livePlan(`faults-outage-b-${stamp}`, { units: 10, tasks: 5, unitsPerTask: 2 }) };
  const returned = a.pairs[0];
  const stack = await liveStack('outage');
  try {
    const { smtp, db } = stack;
    await smtp.stop();
    const outageStart = Date.now();
    report.faults = { 'SMTP outage (connections refused)': 1 };
    await stack.startWorker('outage');
    const instants: { what: string; at: number }[] = [];

    // Instant 1: plan A's requests.
    await startPlan(stack.client, a.plan, stack.taskQueue);
    instants.push({ what: `${a.pairs.length} requests of plan A`, at: Date.now() });
    if (!(await awaitRecordedPlan(db, a.id, 30_000))) throw new Error('the worker did not record plan A within 30 s');
    say(`plan A: ${a.pairs.length} requests; the SMTP server is down for ${(outageMs / 1000).toFixed(0)} s`);

    // Instant 2: plan B's requests (another group, its own batch).
    await sleep(Math.max(0, SECOND_INSTANT_MS - (Date.now() - outageStart)));
    await startPlan(stack.client, b.plan, stack.taskQueue);
    instants.push({ what: `${b.pairs.length} requests of plan B`, at: Date.now() });
    if (!(await awaitRecordedPlan(db, b.id, 30_000))) throw new Error('the worker did not record plan B within 30 s');

    // Instant 3: a report of plan A returned for revision: its `returned` notice waits behind plan A's failing batch.
    await sleep(Math.max(0, THIRD_INSTANT_MS - (Date.now() - outageStart)));
    await submitReport(stack.engine, a.id, { requestId: 'outage-report', taskId: returned.taskId, unitId: returned.unitId, period: a.current, status: 'on-track', summary: 'Sent while the mail server is down.' });
    await returnReport(stack.engine, a.id, { taskId: returned.taskId, unitId: returned.unitId, period: a.current, comment: 'Please add the figures.', requestId: 'outage-return' });
    instants.push({ what: `the returned notice to ${returned.taskId}/${returned.unitId}`, at: Date.now() });
    say(`notice instants during the outage: ${instants.map((i) => `${i.what} at +${((i.at - outageStart) / 1000).toFixed(1)} s`).join('; ')}`);

    // Every period whose request is failing shows `retrying`, in both plans, and each plan lists them all.
    const shown = await waitFor(outageMs - (Date.now() - outageStart) - 8_000, async () => {
      for (const p of [a, b]) {
        const status = await planStatus(db, p.id);
        const all = p.pairs.every((x) => periodIn(status, x.taskId, x.unitId, p.current)?.retrying?.some((r) => r.kind === 'request'));
        if (!all || (status.retrying?.length ?? 0) < p.pairs.length) return undefined;
      }
      return true;
    }, 500);
    if (!shown) {
      for (const p of [a, b]) {
        const status = await planStatus(db, p.id);
        const flagged = p.pairs.filter((x) => periodIn(status, x.taskId, x.unitId, p.current)?.retrying?.length).length;
        problems.push(`during the outage planStatus of ${p.id} showed retrying on ${flagged} of ${p.pairs.length} periods and ${status.retrying?.length ?? 0} notice(s) in status.retrying`);
      }
    }
    for (const p of [a, b]) {
      const text = await runCli(['plan', 'status', p.id], stack.env);
      if (text.code !== 0) problems.push(`plan status ${p.id} during the outage exited ${text.code}: ${text.stderr.trim()}`);
      else if (!/not delivered yet, retrying since/.test(text.stdout)) problems.push(`plan status ${p.id} during the outage does not say "not delivered yet, retrying since":\n${text.stdout.slice(0, 600)}`);
    }

    await sleep(Math.max(0, outageMs - (Date.now() - outageStart)));
    const attemptsDuring = Math.max(0, ...[...(await noticeRows(db, a.id)), ...(await noticeRows(db, b.id))].map((r) => r.attempts));
    await smtp.start();
    const outageEnd = Date.now();
    say(`the SMTP server is back after ${((outageEnd - outageStart) / 1000).toFixed(1)} s (at most ${attemptsDuring} hand-over attempts per notice meanwhile)`);

    // What the workflows handed over: every row of both plans' notices (a digest's notices share one Message-ID).
    const rowsNow = async () => [...(await noticeRows(db, a.id)), ...(await noticeRows(db, b.id))];
    const handedOver = async () => new Set((await rowsNow()).map((r) => r.messageId));
    const all = await waitFor(BOUND_MS + 20_000, async () => {
      const ids = await handedOver();
      const got = new Set(smtp.received.map((r) => r.messageId));
      const kinds = new Set((await rowsNow()).map((r) => `${r.kind}`));
      return kinds.has('returned') && [...ids].every((id) => got.has(id)) ? true : undefined;
    }, 200);
    if (!all) {
      const got = new Set(smtp.received.map((r) => r.messageId));
      problems.push(`only ${[...(await handedOver())].filter((id) => got.has(id)).length} of ${(await handedOver()).size} messages arrived within ${(BOUND_MS + 20_000) / 1000} s of the server's return`);
    }
    const cleared = await waitFor(15_000, async () => {
      for (const p of [a, b]) {
        const status = await planStatus(db, p.id);
        if (status.retrying?.length || p.pairs.some((x) => periodIn(status, x.taskId, x.unitId, p.current)?.retrying)) return undefined;
      }
      return true;
    }, 250);
    if (!cleared) problems.push('planStatus still shows retrying 15 s after every notice arrived');
    await sleep(2_000); // a copy beyond the first would arrive now

    const rows = await rowsNow();
    const requests = rows.filter((r) => r.kind === 'request');
    const expectedPairs = a.pairs.length + b.pairs.length;
    if (requests.length !== expectedPairs) problems.push(`${requests.length} request notices were handed over (expected ${expectedPairs}: one per task and unit of both plans)`);
    if (!rows.some((r) => r.kind === 'returned' && r.taskId === returned.taskId && r.unitId === returned.unitId)) problems.push(`no returned notice to ${returned.taskId}/${returned.unitId} was handed over`);
    const { distinct, duplicated } = tally(smtp.received);
    const byMessage = new Map<string, typeof rows>();
    for (const r of rows) byMessage.set(r.messageId, [...(byMessage.get(r.messageId) ?? []), r]);
    report.notices.expected = rows.length;
    report.notices.duplicated = duplicated;
    let maxFromInstant = 0;
    for (const [id, notices] of byMessage) {
      const what = `the ${notices[0].kind} message to ${notices.map((n) => `${n.taskId}/${n.unitId}`).join(', ')}`;
      const copies = distinct.get(id) ?? [];
      if (copies.length !== 1) problems.push(`${what} arrived ${copies.length} times (expected once)`);
      if (!copies.length) continue;
      report.notices.delivered += notices.length;
      const delay = copies[0].at - outageEnd;
      if (delay > 0) report.notices.late += notices.length;
      report.notices.maxDelayMs = Math.max(report.notices.maxDelayMs, delay);
      if (delay > BOUND_MS) problems.push(`${what} arrived ${(delay / 1000).toFixed(1)} s after the server's return (bound ${BOUND_MS / 1000} s)`);
      for (const n of notices) {
        if (n.status !== 'sent') problems.push(`${what} ends ${n.status} in the notices table`);
        maxFromInstant = Math.max(maxFromInstant, copies[0].at - n.at.getTime());
      }
    }
    // The one report sent during the outage is recorded once.
    report.submissions.sent = 1;
    const revisions = await db.query('SELECT count(*)::int AS n FROM report_revisions WHERE plan_id = $1 AND request_id = $2', [a.id, 'outage-report']);
    report.submissions.recorded = revisions.rows[0].n;
    report.submissions.lost = report.submissions.recorded ? 0 : 1;
    report.submissions.duplicated = Math.max(0, report.submissions.recorded - 1);
    if (report.submissions.recorded !== 1) problems.push(`the report sent during the outage is recorded ${report.submissions.recorded} times in report_revisions (expected once)`);
    const strays = [...distinct.keys()].filter((id) => !byMessage.has(id));
    if (strays.length) problems.push(`${strays.length} message(s) arrived that no notice row names, e.g. ${strays[0]}`);
    for (const p of [a, b]) {
      const after = await runCli(['plan', 'status', p.id], stack.env);
      if (/not delivered yet/.test(after.stdout)) problems.push(`plan status ${p.id} still says "not delivered yet" after every notice arrived`);
    }
    report.note =
      `SMTP refused connections for ${((outageEnd - outageStart) / 1000).toFixed(0)} s from before the first notices, across ${instants.length} notice instants ` +
      `(${instants.map((i) => `${i.what} at +${((i.at - outageStart) / 1000).toFixed(0)} s`).join('; ')}); meanwhile every affected period of both plans showed ` +
      `retrying (CLI: "not delivered yet, retrying since"); after the return every one of ${byMessage.size} messages (${rows.length} notices) arrived once, at most ${(report.notices.maxDelayMs / 1000).toFixed(1)} s later ` +
      `(bound ${BOUND_MS / 1000} s: MAIL_RETRY's 1-minute cap), at most ${(maxFromInstant / 1000).toFixed(1)} s after its own instant, and retrying cleared.`;
  } finally {
    await stack.close();
  }
  report.wallSeconds = (Date.now() - t0) / 1000;
  return report;
};
