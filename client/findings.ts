/**
 * What units, verifiers and headquarters do with inspection findings: act on one (an Update to the findings workflow
 * of its slice), list them and read one's whole life (from the system of record, without a worker).
 */
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { findingActions, findingExtensions, findingNotices, findingRecords, type StoredFindingAction, type StoredFindingExtension, type StoredFindingNotice } from '../store/findings.js';
import { findingsWorkflowId } from '../workflows/contract/ids.js';
import { checkFindingAction, checkFindingExtension, FINDING_STATES, type FindingExtensionReceipt, type FindingReceipt, type FindingState, type FindingStatus } from '../workflows/contract/finding.js';
import { extendFindingUpdate, findingActionUpdate } from '../workflows/contract/messages.js';
import type { Plan } from '../workflows/contract/plan.js';
import { findingStatus, plannedFindings } from '../workflows/findings/record.js';
import { findingSlices } from '../workflows/findings/slices.js';
import { engineDown, recordedPlan, refusalError, update, UserError, type Engine } from './plans.js';
import { ARRIVAL_WINDOW_MS } from '../workflows/contract/arrival.js';

/**
 * Acts on a finding: claim (with evidence), progress, accept, reject (with a reason) or recheck. A refused action
 * throws a UserError with typed refusals and changes nothing; the same request id sent again is applied once.
 */
export async function actOnFinding(engine: Engine, planId: string, input: Record<string, unknown>): Promise<FindingReceipt> {
  const stampedAt = (engine.clock ?? Date.now)();
  const checked = checkFindingAction({ requestId: randomUUID(), ...input });
  if (!checked.ok) throw refusalError(checked.refusals);
  const { plan } = await recordedPlan(engine.db, planId);
  const slice = findingSlices(plan).findIndex((ids) => ids.includes(checked.action.findingId));
  if (slice < 0) throw refusalError([{ field: 'findingId', code: 'unknownFinding', params: { findingId: checked.action.findingId, planId } }]);
  const { receivedAt: _ignored, ...rest } = checked.action;
  const stamp = engine.stampArrival !== false;
  const action = stamp ? { ...rest, receivedAt: new Date(stampedAt).toISOString() } : rest;
  const what = action.action === 'claim' || action.action === 'progress' ? 'report' : 'decision';
  const run = () => engine.client.workflow.getHandle(findingsWorkflowId(planId, slice)).executeUpdate(findingActionUpdate, { args: [action] });
  // Unstamped, or stamped on a clock of the caller's (a rehearsal on a skipped clock): the plain write timeout applies.
  if (!stamp || engine.clock) return update(engine, planId, what, run);
  const window = Math.min(engine.writeTimeoutMs ?? ARRIVAL_WINDOW_MS, ARRIVAL_WINDOW_MS);
  try {
    return await update(engine, planId, what, run, window - (Date.now() - stampedAt));
  } catch (err) {
    if (err instanceof UserError && err.code === 'ENOENGINE') throw engineDown(window, what);
    throw err;
  }
}

/**
 * Headquarters gives a finding's current round a new deadline day (延期): `until` moved forward to a working day. Its
 * reminders and escalations still to come count from that day, the unit is told in a `finding-extended` notice, and
 * its lateness counts from it. A refused extension throws a UserError with typed refusals; the same request id is
 * applied once. The receipt comes once the workflow has written the extension to the system of record.
 */
export async function extendFinding(
  engine: Engine,
  planId: string,
  input: { findingId: string; until: string; reason: string; by?: string; requestId?: string },
): Promise<FindingExtensionReceipt> {
  const given = Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined));
  const checked = checkFindingExtension({ requestId: randomUUID(), ...given });
  if (!checked.ok) throw refusalError(checked.refusals);
  const { plan } = await recordedPlan(engine.db, planId);
  const slice = findingSlices(plan).findIndex((ids) => ids.includes(checked.extension.findingId));
  if (slice < 0) throw refusalError([{ field: 'findingId', code: 'unknownFinding', params: { findingId: checked.extension.findingId, planId } }]);
  const handle = engine.client.workflow.getHandle(findingsWorkflowId(planId, slice));
  return update(engine, planId, 'decision', () => handle.executeUpdate(extendFindingUpdate, { args: [checked.extension] }));
}

/** Every finding of the plan as reads show it, optionally of one unit or in one state. */
export async function findingsOf(db: pg.Pool, plan: Plan, only: { unitId?: string; state?: string } = {}, now = Date.now()): Promise<FindingStatus[]> {
  if (only.state !== undefined && !(FINDING_STATES as readonly string[]).includes(only.state)) {
    throw new UserError(`--state: must be one of ${FINDING_STATES.join(', ')}, got "${only.state}"`, 'EUSAGE');
  }
  const records = await findingRecords(db, plan.id, only.unitId ? { unitId: only.unitId } : {});
  return plannedFindings(plan)
    .filter((p) => !only.unitId || p.finding.unit === only.unitId)
    .map((p) => findingStatus(p, records.get(p.finding.id), now))
    .filter((s) => !only.state || s.state === (only.state as FindingState));
}

/** A finding's whole life: its status, every action (with its texts) and every notice. */
export interface FindingLife {
  status: FindingStatus;
  description: string | null;
  actions: StoredFindingAction[];
  notices: StoredFindingNotice[];
  /** Headquarters' extensions of its deadline, with their reasons, oldest first. */
  extensions: StoredFindingExtension[];
}

/** Reads one finding's life from the system of record. */
export async function findingLife(db: pg.Pool, planId: string, findingId: string, now = Date.now()): Promise<FindingLife> {
  const { plan } = await recordedPlan(db, planId);
  const planned = plannedFindings(plan).find((p) => p.finding.id === findingId);
  if (!planned) throw refusalError([{ field: 'findingId', code: 'unknownFinding', params: { findingId, planId } }]);
  const records = await findingRecords(db, planId);
  return {
    status: findingStatus(planned, records.get(findingId), now),
    description: planned.finding.description ?? null,
    actions: await findingActions(db, planId, findingId),
    notices: await findingNotices(db, planId, findingId),
    extensions: await findingExtensions(db, planId, findingId),
  };
}
