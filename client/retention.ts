/** The retention of closed workflows on the embedded Temporal server: explicit, because the database keeps the records. */
import type { Client } from '@temporalio/client';
import Long from 'long';

/** Days the embedded dev server keeps a closed workflow's history (its records stay in the database for good). */
export const EMBEDDED_RETENTION_DAYS = 30;

/** Sets the namespace's retention of closed workflows to `days`, unless it already is. */
export async function ensureRetention(client: Client, namespace: string, days: number): Promise<void> {
  const svc = client.workflowService;
  const seconds = days * 86_400;
  const desc = await svc.describeNamespace({ namespace });
  if (Number(desc.config?.workflowExecutionRetentionTtl?.seconds ?? 0) === seconds) return;
  await svc.updateNamespace({ namespace, config: { workflowExecutionRetentionTtl: { seconds: Long.fromNumber(seconds) } } });
}
