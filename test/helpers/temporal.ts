/** Shared Temporal test environments on the project's own pinned servers, and a worker over the shared bundle. */
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Runtime, DefaultLogger, Worker, type WorkerOptions } from '@temporalio/worker';
import { inject } from 'vitest';
import { temporalTestServerPath } from '../../client/temporal-binaries.js';

let runtimeQuiet = false;
/** Keeps the SDK's own logging to warnings, so test output stays readable. */
export function quietRuntime(): void {
  if (runtimeQuiet) return;
  runtimeQuiet = true;
  Runtime.install({ logger: new DefaultLogger('WARN') });
}

/** A time-skipping server from the project's pinned install. */
export async function timeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  quietRuntime();
  return TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: temporalTestServerPath() } },
  });
}

/** A worker on the shared workflow bundle. */
export async function testWorker(
  env: TestWorkflowEnvironment,
  options: Omit<WorkerOptions, 'connection' | 'workflowBundle' | 'workflowsPath'>,
): Promise<Worker> {
  return Worker.create({
    connection: env.nativeConnection,
    workflowBundle: { codePath: inject('workflowBundlePath') },
    ...options,
  });
}

let queueCounter = 0;
/** A task queue of its own for each test. */
export function uniqueQueue(name: string): string {
  return `${name}-${process.pid}-${++queueCounter}`;
}
