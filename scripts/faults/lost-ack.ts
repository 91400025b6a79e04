/**
 * `lost-ack`: the SMTP server takes the first messages in full and drops the connection before its reply, so the
 * worker never learns that they were accepted. Measured: whether each is sent again and under which Message-ID, how
 * many copies reach the server, what the notices table and the status show meanwhile and at the end.
 */
import { messageIdFor } from '../../activities/notices/message-id.js';
import { awaitRecordedPlan, planStatus, startPlan } from '../../client/plans.js';
import { emptyReport, livePlan, liveStack, noticeRows, periodIn, waitFor } from './live.js';
import type { Scenario } from './scenarios.js';
import { sleep, tally } from './support.js';

const UNITS = 6;
/** Messages whose reply is lost. */
const DROPS = 3;

export const lostAck: Scenario = async ({ say }) => {
  const t0 = Date.now();
  const report = emptyReport('lost-ack');
  const problems = report.problems;
  const planId = `faults-lost-ack-${Date.now()}`;
  const { plan, current, pairs } = livePlan(planId, { units: UNITS, tasks: UNITS, unitsPerTask: 1 });
  const stack = await liveStack('lost-ack');
  try {
    const { smtp, db } = stack;
    const expected = new Map(pairs.map((p) => [messageIdFor({ planId, taskId: p.taskId, unitId: p.unitId, period: current, kind: 'request', number: 1 }), p]));
    report.notices.expected = expected.size;
    smtp.dropAfterData = true;
    await stack.startWorker('lost-ack');
    await startPlan(stack.client, plan, stack.taskQueue);
    if (!(await awaitRecordedPlan(db, planId, 30_000))) throw new Error('the worker did not record the plan within 30 s');
    say(`plan ${planId}: ${expected.size} requests; the reply to the first ${DROPS} messages taken is lost`);

    // What the log said of a message between its lost reply and its next hand-over.
    const between: { messageId: string; status: string; failing: boolean; why: string }[] = [];
    let seen = 0;
    const cutOff = await waitFor(
      90_000,
      async () => {
        while (seen < smtp.dropped.length) {
          const id = smtp.dropped[seen++].messageId;
          await sleep(300); // the worker's failure handling runs as the connection drops
          const row = (await noticeRows(db, planId)).find((r) => r.messageId === id);
          between.push({ messageId: id, status: row?.status ?? 'missing', failing: !!row?.failingSince, why: row?.lastFailure ?? '' });
        }
        if (smtp.dropped.length >= DROPS) smtp.dropAfterData = false;
        return smtp.dropped.length >= DROPS ? true : undefined;
      },
      10,
    );
    smtp.dropAfterData = false;
    if (!cutOff) problems.push(`only ${smtp.dropped.length} of ${DROPS} messages reached the server within 90 s`);
    const droppedAt = Date.now();
    report.faults = { 'SMTP reply lost after DATA': smtp.dropped.length };

    const done = await waitFor(120_000, () => (expected.size <= new Set(smtp.received.map((r) => r.messageId)).size ? true : undefined), 100);
    if (!done) problems.push(`not every notice was acknowledged by the server within 120 s of the last lost reply`);
    await sleep(3_000); // a copy beyond the last would arrive now
    const settleMs = Date.now() - droppedAt;

    const acked = tally(smtp.received);
    const all = tally([...smtp.received, ...smtp.dropped]); // the server took the dropped ones in full as well
    report.notices.delivered = [...acked.distinct.keys()].filter((id) => expected.has(id)).length;
    report.notices.duplicated = all.duplicated;
    report.notices.cutHandOvers = smtp.dropped.length;
    const droppedIds = new Map<string, number>();
    for (const d of smtp.dropped) droppedIds.set(d.messageId, (droppedIds.get(d.messageId) ?? 0) + 1);
    for (const [id, p] of expected) {
      const ackedCopies = acked.distinct.get(id)?.length ?? 0;
      const lost = droppedIds.get(id) ?? 0;
      if (ackedCopies === 0) problems.push(`the request to ${p.unitId} was never acknowledged by the server (${lost} copies with a lost reply): lost`);
      if (ackedCopies > 1) problems.push(`the request to ${p.unitId} was acknowledged ${ackedCopies} times (a duplicate beyond the lost replies)`);
    }
    // Every copy of one business key carries one Message-ID.
    const idsByKey = new Map<string, Set<string>>();
    for (const r of [...smtp.received, ...smtp.dropped]) idsByKey.set(r.key, new Set([...(idsByKey.get(r.key) ?? []), r.messageId]));
    for (const [key, ids] of idsByKey) if (ids.size > 1) problems.push(`business key ${key} went out under ${ids.size} Message-IDs`);
    const unexpected = [...all.distinct.keys()].filter((id) => !expected.has(id));
    if (unexpected.length) problems.push(`the server received ${unexpected.length} message(s) with unexpected Message-IDs`);

    const rows = await noticeRows(db, planId);
    for (const r of rows) if (r.status !== 'sent') problems.push(`the request to ${r.unitId} ends ${r.status} in the notices table (expected sent)`);
    if (rows.length !== expected.size) problems.push(`the notices table has ${rows.length} rows for ${expected.size} notices`);
    for (const [id, n] of droppedIds) {
      const row = rows.find((r) => r.messageId === id);
      if (row && row.attempts < n + 1) problems.push(`the notices table counts ${row.attempts} attempts for a message handed over ${n + 1} times`);
    }
    const status = await planStatus(db, planId);
    if (status.retrying?.length) problems.push(`planStatus still shows ${status.retrying.length} notice(s) retrying`);
    for (const p of pairs) {
      const period = periodIn(status, p.taskId, p.unitId, current);
      if (period?.deliveryIssues.length) problems.push(`${p.unitId}'s period shows delivery issues at the end: ${JSON.stringify(period.deliveryIssues)}`);
    }

    const copies = [...droppedIds].map(([id, n]) => `${expected.get(id)?.unitId ?? id}: ${n} lost repl${n === 1 ? 'y' : 'ies'} + ${acked.distinct.get(id)?.length ?? 0} acknowledged`).join(', ');
    const meanwhile = [...new Set(between.map((b) => `${b.status}${b.failing ? ` (failing: "${b.why}")` : ''}`))].join(' / ');
    say(`copies: ${copies}; the log between a lost reply and the next attempt: ${meanwhile}`);
    // `unsent` means "surely not delivered" (mailer.ts NotDelivered); the server had in fact taken the message.
    const classified = between.every((b) => b.status === 'unsent')
      ? 'the mailer classes the dropped connection as not delivered, so the log marks the notice `unsent` (though the server had taken it)'
      : `the log keeps the notice at ${meanwhile}`;
    report.note =
      `a reply lost after DATA: ${classified}, and the activity's retry hands it over again under the same Message-ID (${copies}); ` +
      `so the server took ${all.duplicated} cop${all.duplicated === 1 ? 'y' : 'ies'} beyond one per notice, one per lost reply, without any crash; ` +
      `every notice ended \`sent\` with no delivery issue ${Math.round(settleMs / 1000)} s after the last lost reply, and none was lost.`;
  } finally {
    await stack.close();
  }
  report.wallSeconds = (Date.now() - t0) / 1000;
  return report;
};
