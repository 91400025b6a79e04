/**
 * `worker-down`: no worker runs. `report submit` through the CLI answers within 10 s with exit 1 and one sentence (no
 * stack trace); `plan status` still answers from the database. When the worker returns, the copy of the refused
 * submission that Temporal kept is not applied; sending the same request again applies it once.
 */
import { awaitRecordedPlan, planStatus, startPlan } from '../../client/plans.js';
import { groupWorkflowId } from '../../workflows/contract/ids.js';
import { revisionsQuery } from '../../workflows/contract/messages.js';
import { emptyReport, livePlan, liveStack, periodIn, runCli, waitFor } from './live.js';
import type { Scenario } from './scenarios.js';
import { killWorker, sleep, tally } from './support.js';

/** What the README promises a sender with no worker running. */
const ANSWER_MS = 10_000;
const STACK_FRAME = /^\s+at .+[:(]\d+:\d+\)?$/m;

export const workerDown: Scenario = async ({ say }) => {
  const t0 = Date.now();
  const report = emptyReport('worker-down');
  const problems = report.problems;
  const planId = `faults-worker-down-${Date.now()}`;
  const { plan, current, pairs } = livePlan(planId, { units: 2, tasks: 2, unitsPerTask: 1 });
  const target = pairs[0];
  const stack = await liveStack('worker-down');
  try {
    const { db, env } = stack;
    const first = await stack.startWorker('worker-down-1');
    await startPlan(stack.client, plan, stack.taskQueue);
    if (!(await awaitRecordedPlan(db, planId, 30_000))) throw new Error('the worker did not record the plan within 30 s');
    await waitFor(20_000, () => (new Set(stack.smtp.received.map((r) => r.messageId)).size >= pairs.length ? true : undefined));
    const { distinct, duplicated } = tally(stack.smtp.received);
    report.notices = { ...report.notices, expected: pairs.length, delivered: distinct.size, duplicated };
    await killWorker(first);
    report.faults = { 'no worker running': 1 };
    say(`plan ${planId}: the worker is gone; submitting ${target.taskId}/${target.unitId}/${current} through the CLI`);

    const requestId = `worker-down-${Date.now()}`;
    const submit = ['report', 'submit', planId, '--task', target.taskId, '--unit', target.unitId, '--period', current, '--status', 'on-track', '--summary', 'Sent while no worker runs', '--request-id', requestId];
    const refused = await runCli(submit, env, 30_000);
    report.submissions.sent++;
    const said = refused.stderr.trim();
    if (refused.code !== 1) problems.push(`report submit with no worker exited ${refused.code} (expected 1): ${said || refused.stdout.trim()}`);
    if (refused.ms > ANSWER_MS) problems.push(`report submit with no worker answered after ${(refused.ms / 1000).toFixed(1)} s (promised: within ${ANSWER_MS / 1000} s)`);
    if (STACK_FRAME.test(refused.stderr)) problems.push(`report submit with no worker printed a stack trace:\n${said.slice(0, 800)}`);
    if (!/^review-cycles: [^\n]+\.$/.test(said)) problems.push(`report submit with no worker did not answer with one line of sentences: ${JSON.stringify(said.slice(0, 400))}`);
    if (!/not been recorded/.test(said)) problems.push(`report submit with no worker does not say the report has not been recorded: ${said}`);
    say(`report submit: exit ${refused.code} after ${(refused.ms / 1000).toFixed(1)} s: ${said}`);

    const status = await runCli(['plan', 'status', planId, '--json'], env, 30_000);
    if (status.code !== 0) problems.push(`plan status with no worker exited ${status.code}: ${status.stderr.trim()}`);
    else {
      try {
        const parsed = JSON.parse(status.stdout) as Awaited<ReturnType<typeof planStatus>>;
        const p = periodIn(parsed, target.taskId, target.unitId, current);
        if (p?.state !== 'requested' || p.revisions !== 0) problems.push(`plan status with no worker shows ${target.unitId}'s period as ${p?.state} with ${p?.revisions} revisions (expected requested, 0)`);
      } catch {
        problems.push(`plan status --json with no worker printed no JSON: ${status.stdout.slice(0, 200)}`);
      }
    }
    const text = await runCli(['plan', 'status', planId], env, 30_000);
    if (text.code !== 0 || !text.stdout.includes(`plan ${planId}`)) problems.push(`plan status (text) with no worker failed: exit ${text.code} ${text.stderr.trim()}`);

    // The worker returns: Temporal hands it the copy of the update it kept, which must be refused as stale.
    const second = await stack.startWorker('worker-down-2');
    const group = stack.client.workflow.getHandle(groupWorkflowId(planId, 0));
    const inWorkflow = await waitFor(20_000, () => group.query(revisionsQuery, { taskId: target.taskId, unitId: target.unitId, period: current }), 500);
    await sleep(5_000); // the kept update is delivered with the worker's first workflow task; give it time to be applied, were it so
    const revisionsAfter = await group.query(revisionsQuery, { taskId: target.taskId, unitId: target.unitId, period: current });
    const rows = async () => (await db.query('SELECT request_id FROM report_revisions WHERE plan_id = $1 AND task_id = $2 AND unit_id = $3 AND period = $4', [planId, target.taskId, target.unitId, current])).rows.map((r) => r.request_id as string);
    if (!inWorkflow) problems.push('the group workflow did not answer a query within 20 s of the worker\'s return');
    if (revisionsAfter.some((r) => r.requestId === requestId)) problems.push('the submission refused while no worker ran was applied by the workflow when the worker returned');
    if ((await rows()).includes(requestId)) problems.push('the submission refused while no worker ran is in report_revisions after the worker returned');

    const again = await runCli(submit, env, 30_000);
    report.submissions.sent++;
    if (again.code !== 0 || !/^received: .* revision 1,/m.test(again.stdout)) problems.push(`sending the same request again with the worker back: exit ${again.code}: ${(again.stdout + again.stderr).trim()}`);
    const third = await runCli(submit, env, 30_000);
    report.submissions.sent++;
    if (third.code !== 0 || !/^already received: .* revision 1,/m.test(third.stdout)) problems.push(`sending it a third time did not answer "already received ... revision 1": exit ${third.code}: ${(third.stdout + third.stderr).trim()}`);
    const stored = await rows();
    const once = stored.filter((id) => id === requestId).length;
    report.submissions.recorded = once;
    report.submissions.duplicated = Math.max(0, once - 1);
    report.submissions.lost = once ? 0 : 1;
    if (stored.length !== 1 || once !== 1) problems.push(`report_revisions holds ${stored.length} revision(s), ${once} of request ${requestId} (expected exactly that one)`);
    const p = periodIn(await planStatus(db, planId), target.taskId, target.unitId, current);
    if (p?.revisions !== 1 || p.state !== 'submitted') problems.push(`planStatus shows ${p?.revisions} revision(s), state ${p?.state} (expected 1, submitted)`);
    await killWorker(second);
    report.note =
      `with no worker, report submit exited ${refused.code} after ${(refused.ms / 1000).toFixed(1)} s (process start included; \`plan status\` takes ${(text.ms / 1000).toFixed(1)} s) saying the report was not recorded; ` +
      `plan status answered from the database; the copy Temporal kept was refused when the worker returned; the same --request-id sent twice more was applied once.`;
  } finally {
    await stack.close();
  }
  report.wallSeconds = (Date.now() - t0) / 1000;
  return report;
};
