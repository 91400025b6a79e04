/** The workflows bundle for the sandbox with no Node-only module, and the check catches one that sneaks in. */
import { bundleWorkflowCode } from '@temporalio/worker';
import { createRequire } from 'node:module';
import { expect, test } from 'vitest';
import { workflowsPath } from '../../worker/build.js';

const require = createRequire(import.meta.url);
const silent = { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} };

test('the workflows bundle without any Node-only module', async () => {
  const { code } = await bundleWorkflowCode({ workflowsPath, logger: silent });
  expect(code).toContain('groupWorkflow');
  expect(code).not.toMatch(/require\(["'](node:)?(fs|net|child_process|crypto|http|os|path)["']\)/);
  // Only the SDK's own sandbox-safe modules and ours.
  expect(code).not.toContain('nodemailer');
});

test('a workflow that imports a Node-only module fails the bundle, naming the module', async () => {
  const said: string[] = [];
  const recording = { ...silent, warn: (m: string) => said.push(m), error: (m: string) => said.push(m) };
  await expect(bundleWorkflowCode({ workflowsPath: require.resolve('../fixtures/leaky/index.ts'), logger: recording })).rejects.toThrow(
    /Webpack finished with errors/,
  );
  expect(said.join('\n')).toMatch(/node:fs|'fs'|"fs"/);
});
