/** The baseline of the live benchmark: a workflow that does nothing but answer an Update with its argument. */
import { condition, defineUpdate, setHandler } from '@temporalio/workflow';

/** Answers with what it was given. */
export const echoUpdate = defineUpdate<unknown, [unknown]>('echo');

/** Registers the echo handler and waits forever. */
export async function trivialWorkflow(): Promise<void> {
  setHandler(echoUpdate, (x) => x);
  await condition(() => false);
}
