/**
 * The engine's dev servers take 100 Updates in flight per workflow (ENGINE_DYNAMIC_CONFIG), where Temporal's default
 * is 10: the reports of a group's units submitted at one moment are not refused by the server. With no client retry,
 * the 30 Updates held in flight here are all accepted; on a server with Temporal's default, the 11th is refused.
 */
import { Client, Connection, WorkflowUpdateStage } from '@temporalio/client';
import { Worker, NativeConnection } from '@temporalio/worker';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { retryOptions } from '../../client/connection.js';
import { ENGINE_DYNAMIC_CONFIG } from '../../client/dev-server.js';
import { heldUpdatesWorkflow, holdUpdate, releaseSignal } from '../fixtures/held-updates-workflow.js';
import { useDevServer, type TestDevServer } from '../helpers/dev-server.js';

const engine = useDevServer();
const temporalDefault = useDevServer({ dynamicConfig: { 'history.maxInFlightUpdates': 10 } });
const workflowsPath = fileURLToPath(new URL('../fixtures/held-updates-workflow.ts', import.meta.url));
const RESOURCE_EXHAUSTED = 8;

interface Setup {
  client: Client;
  close: () => Promise<void>;
}
const setups: Setup[] = [];
let bundle: Awaited<ReturnType<typeof import('@temporalio/worker').bundleWorkflowCode>>;

beforeAll(async () => {
  const { bundleWorkflowCode } = await import('@temporalio/worker');
  bundle = await bundleWorkflowCode({ workflowsPath });
}, 60_000);
afterAll(async () => {
  for (const s of setups) await s.close();
});

/** A worker for the held-updates workflow and a client without any retry (the server's answer as it is). */
async function on(dev: TestDevServer): Promise<Setup> {
  const native = await NativeConnection.connect({ address: dev.address });
  const worker = await Worker.create({ connection: native, taskQueue: 'held', workflowBundle: bundle });
  const running = worker.run();
  const connection = await Connection.connect({ address: dev.address, interceptors: [] });
  const setup = {
    client: new Client({ connection }),
    close: async () => {
      worker.shutdown();
      await running;
      await connection.close();
      await native.close();
    },
  };
  setups.push(setup);
  return setup;
}

async function holdThirty(client: Client, workflowId: string): Promise<PromiseSettledResult<unknown>[]> {
  const handle = await client.workflow.start(heldUpdatesWorkflow, { workflowId, taskQueue: 'held' });
  const accepted: PromiseSettledResult<unknown>[] = [];
  // One after another, each accepted (its handler waiting) before the next is sent: all are in flight together.
  for (let n = 1; n <= 30; n++) {
    const [r] = await Promise.allSettled([handle.startUpdate(holdUpdate, { args: [n], waitForStage: WorkflowUpdateStage.ACCEPTED })]);
    accepted.push(r);
  }
  await handle.signal(releaseSignal);
  const answers = await Promise.all(accepted.filter((r) => r.status === 'fulfilled').map((r) => (r as PromiseFulfilledResult<{ result(): Promise<number> }>).value.result()));
  expect(answers).toEqual(Array.from({ length: answers.length }, (_, i) => i + 1));
  await handle.terminate();
  return accepted;
}

test('the engine sets 100 Updates in flight per workflow on its dev servers', () => {
  expect(ENGINE_DYNAMIC_CONFIG).toEqual({ 'history.maxInFlightUpdates': 100 });
});

test('30 Updates held in flight on one workflow are all accepted by the engine\'s dev server', async () => {
  const { client } = await on(engine);
  const accepted = await holdThirty(client, 'held-engine');
  expect(accepted.filter((r) => r.status === 'rejected')).toEqual([]);
}, 120_000);

test('with Temporal\'s default of 10 the 11th is refused (RESOURCE_EXHAUSTED), which the client retries briefly', async () => {
  const { client } = await on(temporalDefault);
  const accepted = await holdThirty(client, 'held-default');
  expect(accepted.slice(0, 10).every((r) => r.status === 'fulfilled')).toBe(true);
  const refused = accepted.slice(10);
  expect(refused.every((r) => r.status === 'rejected')).toBe(true);
  const err = (refused[0] as PromiseRejectedResult).reason as { code?: number; details?: string; cause?: { code?: number; details?: string } };
  const status = err.cause?.code !== undefined ? err.cause : err;
  expect(status.code).toBe(RESOURCE_EXHAUSTED);
  // The engine's client retries exactly this refusal after 50-75 ms x attempt, not the SDK's seconds.
  const delay = retryOptions(() => 1).delayFunction(1, { code: RESOURCE_EXHAUSTED, details: status.details } as never);
  expect(delay).toBe(75);
}, 120_000);

test('the client retries brief refusals within milliseconds and keeps the SDK\'s back-off for the rest', () => {
  const o = retryOptions(() => 0);
  const status = (code: number, details: string) => ({ code, details }) as never;
  expect(o.delayFunction(1, status(RESOURCE_EXHAUSTED, 'workflow is closing'))).toBe(50);
  expect(o.delayFunction(3, status(RESOURCE_EXHAUSTED, 'limit on number of concurrent in-flight updates has been reached (10)'))).toBe(150);
  expect(retryOptions(() => 1).delayFunction(2, status(RESOURCE_EXHAUSTED, 'workflow is closing'))).toBe(150);
  // Anything else (here the namespace's rate limit) backs off as the SDK does: far longer.
  expect(o.delayFunction(1, status(RESOURCE_EXHAUSTED, 'namespace rate limit exceeded'))).toBeGreaterThan(500);
});
