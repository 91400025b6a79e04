/** Bundles the workflows once per test run; every test file's workers share the bundle. */
import { bundleWorkflowCode } from '@temporalio/worker';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { workflowsPath } from '../../worker/build.js';

export default async function setup(project: TestProject): Promise<void> {
  const { code } = await bundleWorkflowCode({ workflowsPath, logger: quietLogger });
  const file = join(mkdtempSync(join(tmpdir(), 'rc-bundle-')), 'workflows.js');
  writeFileSync(file, code);
  project.provide('workflowBundlePath', file);
}

const noop = () => {};
const quietLogger = { trace: noop, debug: noop, info: noop, warn: console.warn, error: console.error, log: noop };

declare module 'vitest' {
  export interface ProvidedContext {
    workflowBundlePath: string;
  }
}
