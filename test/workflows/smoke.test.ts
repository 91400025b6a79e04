import { afterAll, beforeAll, expect, test } from 'vitest';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createActivities, createMemorySentLog, createSmtpMailer } from '../../activities/index.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';
import { testWorker, timeSkippingEnv, uniqueQueue } from '../helpers/temporal.js';
import { checkPlan } from '../../workflows/contract/plan-check.js';
import { parse } from 'yaml';
import { readFileSync } from 'node:fs';
import { planStatus, startPlan, submitReport } from '../../client/plans.js';

let env: TestWorkflowEnvironment;
let sink: SmtpSink;
beforeAll(async () => {
  env = await timeSkippingEnv();
  sink = await startSmtpSink();
});
afterAll(async () => {
  await env?.teardown();
  await sink?.close();
});

test('smoke', async () => {
  const raw = parse(readFileSync('examples/demo-plan.yaml', 'utf8'));
  const c = checkPlan(raw);
  if (!c.ok) throw new Error(JSON.stringify(c.issues));
  const plan = c.plan;
  const taskQueue = uniqueQueue('smoke');
  const mailer = createSmtpMailer(sink.url);
  const sent: string[] = [];
  const worker = await testWorker(env, {
    taskQueue,
    activities: createActivities({ mailer, sentLog: createMemorySentLog(), from: 'rc@example.org', onSent: (n) => sent.push(`${n.spec.at} ${n.spec.key.kind} ${n.spec.key.taskId} ${n.spec.key.unitId} ${n.spec.key.period}`) }),
  });
  await worker.runUntil(async () => {
    const t0 = Date.now();
    console.log(await startPlan(env.client, plan, taskQueue));
    console.log(await startPlan(env.client, plan, taskQueue));
    const target = Date.parse('2027-03-23T12:00:00+08:00');
    await env.sleep(target - (await env.currentTimeMs()));
    console.log('now', new Date(await env.currentTimeMs()).toISOString(), Date.now() - t0);
    const r = await submitReport(env.client, plan.id, { requestId: 'r1', taskId: 'industrial-upgrade', unitId: 'industry', period: '2027-Q1', status: 'on-track', summary: 'ok' });
    console.log(r);
    try { await submitReport(env.client, plan.id, { requestId: 'r2', taskId: 'industrial-upgrade', unitId: 'agriculture', period: '2027-Q1', status: 'on-track', summary: 'ok' }); } catch (e) { console.log('rejected:', (e as Error).message); }
    await env.sleep(Date.parse('2027-04-20T12:00:00+08:00') - (await env.currentTimeMs()));
    const st = await planStatus(env.client, plan.id);
    console.log(JSON.stringify(st.tasks.map(t => t.units.map(u => [t.taskId, u.unitId, u.periods[0]]))), Date.now() - t0);
  });
  console.log(sent.join('\n'));
  console.log(sink.messages.length, sink.messages[0]?.subject, sink.messages[0]?.messageId);
  await mailer.close();
  expect(sent.length).toBeGreaterThan(0);
});
