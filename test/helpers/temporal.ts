/** Shared Temporal test environments on the project's own pinned servers, and a worker over the shared bundle. */
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, type WorkerOptions } from '@temporalio/worker';
import { installRuntime } from '../../worker/runtime.js';
import { inject } from 'vitest';
import { temporalTestServerPath } from '../../client/temporal-binaries.js';


/** A time-skipping server from the project's pinned install. */
export async function timeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  installRuntime();
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
