/**
 * `smtp-refusals`: the mail server answers 550 for one unit's address. That unit's request is recorded refused (in its
 * period's deliveryIssues and as `refused` in the notices table) after a single attempt, never retried; every other
 * unit's request is delivered once.
 */
import { messageIdFor } from '../../activities/notices/message-id.js';
import { awaitRecordedPlan, planStatus, startPlan } from '../../client/plans.js';
import { emptyReport, livePlan, liveStack, noticeRows, periodIn, waitFor } from './live.js';
import type { Scenario } from './scenarios.js';
import { sleep, tally } from './support.js';

const UNITS = 6;
/** How long to watch for a retry after the refusal: beyond the mail retry's first two intervals (5 s, then 10 s). */
const WATCH_MS = 16_000;

export const smtpRefusals: Scenario = async ({ say }) => {
  const t0 = Date.now();
  const report = emptyReport('smtp-refusals');
  const problems = report.problems;
  const planId = `faults-refusals-${Date.now()}`;
  const { plan, current, pairs } = livePlan(planId, { units: UNITS, tasks: UNITS, unitsPerTask: 1 });
  const refusedPair = pairs[2];
  const refusedAddress = `${refusedPair.unitId}@example.org`;
  const stack = await liveStack('refusals');
  try {
    const { smtp, db } = stack;
    smtp.refuse.add(refusedAddress);
    // Every RCPT TO goes through the refusal set's lookup: counting the lookups counts the attempts per address.
    const rcpt = new Map<string, number>();
    const has = smtp.refuse.has.bind(smtp.refuse);
    smtp.refuse.has = (address: string) => {
      rcpt.set(address, (rcpt.get(address) ?? 0) + 1);
      return has(address);
    };
    report.faults = { 'SMTP 550 refusal (address)': 1 };
    await stack.startWorker('refusals');
    await startPlan(stack.client, plan, stack.taskQueue);
    if (!(await awaitRecordedPlan(db, planId, 30_000))) throw new Error('the worker did not record the plan within 30 s');
    say(`plan ${planId}: ${pairs.length} requests, ${refusedAddress} answered 550`);

    const expected = new Map(pairs.map((p) => [messageIdFor({ planId, taskId: p.taskId, unitId: p.unitId, period: current, kind: 'request', number: 1 }), p]));
    const refusedId = [...expected].find(([, p]) => p === refusedPair)![0];
    report.notices.expected = expected.size - 1;
    const settled = await waitFor(60_000, async () => {
      const rows = await noticeRows(db, planId);
      return rows.length === expected.size && rows.every((r) => r.status === 'sent' || r.status === 'refused') ? rows : undefined;
    });
    if (!settled) problems.push('the notices did not all reach an outcome (sent or refused) within 60 s');
    const refusedAt = Date.now();
    await sleep(WATCH_MS);

    const { distinct, duplicated } = tally(smtp.received);
    report.notices.delivered = [...distinct.keys()].filter((id) => expected.has(id) && id !== refusedId).length;
    report.notices.duplicated = duplicated;
    for (const [id, p] of expected) {
      if (id === refusedId) continue;
      const copies = distinct.get(id)?.length ?? 0;
      if (copies !== 1) problems.push(`the request to ${p.unitId} reached the SMTP server ${copies} times (expected once)`);
    }
    if (distinct.has(refusedId)) problems.push(`the refused request to ${refusedPair.unitId} reached the SMTP server anyway`);
    const unexpected = [...distinct.keys()].filter((id) => !expected.has(id));
    if (unexpected.length) problems.push(`the SMTP server received ${unexpected.length} message(s) with unexpected Message-IDs: ${unexpected.slice(0, 3).join(', ')}`);
    const attempts = rcpt.get(refusedAddress) ?? 0;
    if (attempts !== 1) problems.push(`the refused address saw ${attempts} RCPT TO attempts (expected exactly 1, none in the ${WATCH_MS / 1000} s after its refusal)`);

    const rows = await noticeRows(db, planId);
    const refusedRow = rows.find((r) => r.messageId === refusedId);
    if (refusedRow?.status !== 'refused') problems.push(`the notices table shows the refused request as ${refusedRow?.status ?? 'missing'} (expected refused)`);
    else if (!/550|unavailable/.test(refusedRow.reason ?? '')) problems.push(`the refusal's recorded reason does not carry the server's answer: ${refusedRow.reason}`);
    if (refusedRow && refusedRow.attempts !== 1) problems.push(`the notices table counts ${refusedRow.attempts} attempts for the refused request (expected 1)`);
    for (const r of rows) if (r.messageId !== refusedId && r.status !== 'sent') problems.push(`the request to ${r.unitId} is ${r.status} in the notices table (expected sent)`);

    const issues = await waitFor(15_000, async () => {
      const p = periodIn(await planStatus(db, planId), refusedPair.taskId, refusedPair.unitId, current);
      return p?.deliveryIssues.length ? p : undefined;
    });
    const status = await planStatus(db, planId);
    if (!issues) problems.push(`planStatus shows no deliveryIssues on ${refusedPair.taskId}/${refusedPair.unitId}/${current}`);
    else if (!issues.deliveryIssues.some((d) => d.kind === 'request')) problems.push(`the delivery issue recorded is not the request: ${JSON.stringify(issues.deliveryIssues)}`);
    for (const p of pairs) {
      if (p === refusedPair) continue;
      const period = periodIn(status, p.taskId, p.unitId, current);
      if (!period) problems.push(`planStatus has no ${p.taskId}/${p.unitId}/${current}`);
      else if (period.deliveryIssues.length) problems.push(`${p.unitId}'s period shows delivery issues though its request was delivered: ${JSON.stringify(period.deliveryIssues)}`);
      else if (period.state !== 'requested') problems.push(`${p.unitId}'s period is ${period.state} (expected requested)`);
    }
    if (status.retrying?.length) problems.push(`planStatus shows ${status.retrying.length} notice(s) still retrying after the refusal`);
    report.note =
      `one address of ${UNITS} answered 550 at RCPT: its request was recorded refused (notices.status, the period's deliveryIssues) after ` +
      `${attempts} attempt(s), with no further attempt in the ${Math.round((Date.now() - refusedAt) / 1000)} s watched; the other ${report.notices.delivered} were delivered once each.`;
  } finally {
    await stack.close();
  }
  report.wallSeconds = (Date.now() - t0) / 1000;
  return report;
};
