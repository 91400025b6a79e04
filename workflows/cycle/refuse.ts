/** Throws refusals as the typed failure every surface reads (workflow side: it needs the workflow package). */
import { ApplicationFailure } from '@temporalio/workflow';
import { REPORT_REJECTED } from '../contract/errors.js';
import { refusalLine, type Refusal } from '../contract/refusals.js';

/** Rejects an update: an ApplicationFailure of type REPORT_REJECTED, the refusals in its details. */
export function refuse(refusals: Refusal[]): never {
  throw ApplicationFailure.create({ type: REPORT_REJECTED, message: refusals.map(refusalLine).join('; '), details: [refusals], nonRetryable: true });
}

/** Rejects the update when there is any refusal. */
export function throwIfRefused(refusals: Refusal[]): void {
  if (refusals.length) refuse(refusals);
}
