/** Every history recorded by the workflow tests (test/histories) replays against the current workflow code. */
import { historyFromJSON } from '@temporalio/common/lib/proto-utils.js';
import { Worker } from '@temporalio/worker';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, inject, test } from 'vitest';
import { HISTORIES_DIR } from '../helpers/histories.js';
import { installRuntime } from '../../worker/runtime.js';

const files = readdirSync(HISTORIES_DIR).filter((f) => f.endsWith('.json'));

test('there are recorded histories to replay', () => {
  expect(files.length).toBeGreaterThanOrEqual(4);
});

test.each(files)('%s replays without non-determinism', async (file) => {
  installRuntime();
  const { workflowId, history } = JSON.parse(readFileSync(join(HISTORIES_DIR, file), 'utf8'));
  await expect(
    Worker.runReplayHistory({ workflowBundle: { codePath: inject('workflowBundlePath') }, replayName: file }, historyFromJSON(history), workflowId),
  ).resolves.toBeUndefined();
});
