/** Stores workflow histories from tests so the replay test can check every later change of workflow code. */
import type { Client } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const HISTORIES_DIR = join('test', 'histories');

/** With RECORD_HISTORIES=1, writes each workflow's (latest run) history to test/histories/<name>-<n>.json. */
export async function recordHistories(client: Client, workflowIds: string[], name: string): Promise<void> {
  if (process.env.RECORD_HISTORIES !== '1') return;
  mkdirSync(HISTORIES_DIR, { recursive: true });
  for (const [i, id] of workflowIds.entries()) {
    const history = await client.workflow.getHandle(id).fetchHistory();
    writeFileSync(join(HISTORIES_DIR, `${name}-${i + 1}.json`), JSON.stringify({ workflowId: id, history: JSON.parse(historyToJSON(history)) }));
  }
}

/** With RECORD_HISTORIES=1, writes every run of each workflow (oldest first) to test/histories/<name>-<n>.json. */
export async function recordAllRuns(client: Client, workflowIds: string[], name: string): Promise<void> {
  if (process.env.RECORD_HISTORIES !== '1') return;
  mkdirSync(HISTORIES_DIR, { recursive: true });
  let n = 0;
  for (const id of workflowIds) {
    const runs = [];
    let history = await client.workflow.getHandle(id).fetchHistory();
    for (;;) {
      runs.unshift(history);
      const previous = history.events?.[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId;
      if (!previous) break;
      history = await client.workflow.getHandle(id, previous).fetchHistory();
    }
    for (const h of runs) writeFileSync(join(HISTORIES_DIR, `${name}-${++n}.json`), JSON.stringify({ workflowId: id, history: JSON.parse(historyToJSON(h)) }));
  }
}
