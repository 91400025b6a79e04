/**
 * The inspection findings of one slice of a plan: assignment, each round's ladder, claims and their verification,
 * re-checks, with one timer and one mail batch per shared instant. The rules are pure (findings/record.ts,
 * findings/schedule.ts); this workflow only keeps the records, waits, and hands notices and records to activities.
 */
import { allHandlersFinished, condition, continueAsNew, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import { planSchedule } from './calendar/index.js';
import { arrivalOf } from './contract/arrival.js';
import {
  HEADQUARTERS,
  checkFindingAction,
  checkFindingExtension,
  findingActionSchema,
  findingExtensionSchema,
  type FindingAction,
  type FindingNoticeKind,
  type FindingNoticeSpec,
  type FindingRecord,
} from './contract/finding.js';
import { amendFindingsSignal, extendFindingUpdate, findingActionUpdate, findingRecordsQuery, findingsProgressQuery } from './contract/messages.js';
import { MAIL_RETRY } from './contract/notice.js';
import { addressList, type Plan } from './contract/plan.js';
import type { Refusal } from './contract/refusals.js';
import { throwIfRefused } from './cycle/refuse.js';
import {
  actionRefusals,
  applyAction,
  assign,
  assignAt,
  compareFindingEvents,
  isFinal,
  plannedFindings,
  seenReceipt,
  stillDue,
  type FindingEvent,
  type PlannedFinding,
} from './findings/record.js';
import { applyExtension, extensionRefusals, markSent, seenExtension } from './findings/extension.js';
import { amendFindings } from './findings/amend.js';
export { findingSlices } from './findings/slices.js';

const { sendFindingNotices } = proxyActivities<Activities>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '20 seconds',
  retry: MAIL_RETRY,
});

const { recordFindings } = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

const MAX_UPDATES_PER_RUN = 500;
const MAX_HISTORY_PER_RUN = 8_000;
const BATCH_SIZE = 500;

/** What a findings workflow carries over continue-as-new. */
export interface FindingsCarry {
  records: Record<string, FindingRecord>;
  /** Scheduled notices not yet acted on (assignments are derived from the plan on each run). */
  pending: FindingEvent[];
}

export interface FindingsInput {
  plan: Plan;
  sliceIndex: number;
  /** The findings of this slice. */
  findingIds: string[];
  startedAt: number;
  carry?: FindingsCarry;
  /** The version of the plan this run follows (absent: the first). */
  version?: number;
  limits?: { maxUpdatesPerRun?: number; maxHistoryPerRun?: number };
}

export interface FindingsResult {
  planId: string;
  sliceIndex: number;
  findings: number;
  final: number;
}

/** Runs the findings of `input.findingIds` until each is final or the plan has closed with nothing more scheduled. */
export async function findingsWorkflow(input: FindingsInput): Promise<FindingsResult> {
  const { plan, startedAt } = input;
  const wanted = new Set(input.findingIds);
  const planned = new Map<string, PlannedFinding>(plannedFindings(plan).filter((p) => wanted.has(p.finding.id)).map((p) => [p.finding.id, p]));
  const records: Record<string, FindingRecord> = input.carry?.records ?? {};
  const pending: FindingEvent[] = [...(input.carry?.pending ?? [])];
  for (const p of planned.values()) {
    if (!records[p.finding.id]) pending.push({ at: assignAt(plan, p.round, startedAt), findingId: p.finding.id, kind: 'assign', round: 1, number: 1 });
  }
  pending.sort(compareFindingEvents);
  // The plan's close: its last quarter's closing instant. With nothing scheduled after it, the workflow ends.
  const schedules = planSchedule(plan);
  const planClosesAt = schedules.length ? schedules[schedules.length - 1].closeAt : 0;
  let version = 0;
  let busy = false;
  let updatesThisRun = 0;
  let writing = 0;

  const units = new Map(plan.units.map((u) => [u.id, u]));
  const leaders = new Map(plan.leaders.map((l) => [l.id, l]));

  function refusalsOf(raw: unknown): Refusal[] {
    const checked = checkFindingAction(raw);
    if (!checked.ok) return checked.refusals;
    const a = checked.action;
    const arrival = arrivalOf(a.receivedAt, Date.now());
    if ('problem' in arrival) {
      const params = { receivedAt: a.receivedAt!, now: new Date(Date.now()).toISOString() };
      return [{ field: 'receivedAt', code: arrival.problem === 'future' ? 'receivedInFuture' : 'arrivedTooLate', params }];
    }
    // A repeated request id is answered with its first receipt, whatever happened since.
    if (seenReceipt(plan, records[a.findingId], a, Date.now())) return [];
    return actionRefusals(plan, planned.get(a.findingId), records[a.findingId], a, arrival.at, startedAt);
  }

  setHandler(
    findingActionUpdate,
    async (raw) => {
      const a: FindingAction = findingActionSchema.parse(raw);
      const record = records[a.findingId];
      const seen = seenReceipt(plan, record, a, Date.now());
      if (seen) return seen;
      const now = Math.max(arrivalOf(a.receivedAt, Date.now()).at, lastInstant(record));
      const { receipt, events } = applyAction(plan, planned.get(a.findingId)!, record, a, now);
      schedule(events);
      updatesThisRun++;
      const text = a.action === 'claim' ? a.evidence : a.action === 'progress' ? a.note : a.action === 'reject' ? a.reason : a.comment;
      writing++;
      try {
        await recordFindings({
          planId: plan.id,
          records: [record],
          actions: [
            {
              planId: plan.id, findingId: a.findingId, requestId: a.requestId, action: a.action, actor: a.actor, ...(a.by ? { by: a.by } : {}), at: now,
              round: receipt.round, claim: receipt.claim, ...(text !== undefined ? { text } : {}), ...(a.action === 'claim' ? { links: a.links } : {}),
              ...(a.action === 'recheck' ? { result: a.result } : {}),
            },
          ],
        });
      } finally {
        writing--;
      }
      return receipt;
    },
    { validator: (raw) => throwIfRefused(refusalsOf(raw)) },
  );
  function extensionRefusalsOf(raw: unknown): Refusal[] {
    const checked = checkFindingExtension(raw);
    if (!checked.ok) return checked.refusals;
    const x = checked.extension;
    const p = planned.get(x.findingId);
    return extensionRefusals(plan, p, records[x.findingId], x, Date.now(), p ? assignAt(plan, p.round, startedAt) : 0);
  }

  // Headquarters' extension of a finding's deadline: recorded (with its reason) before it is answered, like an action.
  setHandler(
    extendFindingUpdate,
    async (raw) => {
      const x = findingExtensionSchema.parse(raw);
      const record = records[x.findingId];
      const seen = seenExtension(record, x, Date.now());
      if (seen) return seen;
      const now = Math.max(Date.now(), lastInstant(record));
      const { receipt, events } = applyExtension(plan, record, x, now);
      schedule(events);
      updatesThisRun++;
      const e = record.extensions![receipt.extension - 1];
      writing++;
      try {
        await recordFindings({
          planId: plan.id,
          records: [record],
          actions: [],
          extensions: [{ planId: plan.id, findingId: x.findingId, requestId: x.requestId, seq: receipt.extension, at: e.at, until: e.until, dueDay: e.dueDay, deadline: e.deadline, previousDueDay: e.previousDueDay, round: e.round, reason: x.reason, ...(x.by ? { by: x.by } : {}) }],
        });
      } finally {
        writing--;
      }
      return receipt;
    },
    { validator: (raw) => throwIfRefused(extensionRefusalsOf(raw)) },
  );
  let amendment: { version: number; at: number; plan: Plan } | undefined;
  setHandler(amendFindingsSignal, (a) => {
    if (a.version > (amendment?.version ?? input.version ?? 1)) amendment = a;
  });
  setHandler(findingRecordsQuery, () => records);
  setHandler(findingsProgressQuery, () => ({ busy: busy || writing > 0, next: pending.length ? pending[0].at : null }));

  function schedule(events: FindingEvent[]): void {
    if (!events.length) return;
    pending.push(...events);
    pending.sort(compareFindingEvents);
    version++;
  }

  const mustRoll = () =>
    workflowInfo().continueAsNewSuggested ||
    workflowInfo().historyLength > (input.limits?.maxHistoryPerRun ?? MAX_HISTORY_PER_RUN) ||
    updatesThisRun >= (input.limits?.maxUpdatesPerRun ?? MAX_UPDATES_PER_RUN);

  for (;;) {
    const next = pending.length ? pending[0].at : Infinity;
    const now = Date.now();
    if (now < next && (mustRoll() || amendment)) {
      await condition(allHandlersFinished);
      if (amendment) {
        // The run that follows goes on under the new version: its records and ladders as findings/amend.ts says.
        const a = amendment;
        const mine = plannedFindings(a.plan).filter((p) => wanted.has(p.finding.id));
        const carried = amendFindings(plan, a.plan, mine, records, pending.filter((e) => e.kind !== 'assign'), Math.max(a.at, now));
        await recordFindings({ planId: plan.id, records: Object.values(records), actions: [] });
        return continueAsNew<typeof findingsWorkflow>({ ...input, plan: a.plan, version: a.version, carry: { records, pending: carried } });
      }
      return continueAsNew<typeof findingsWorkflow>({ ...input, carry: { records, pending: pending.filter((e) => e.kind !== 'assign') } });
    }
    if (next === Infinity) {
      const allFinal = [...planned.keys()].every((id) => isFinal(records[id]));
      if (allFinal || now >= planClosesAt) break;
    }
    if (now < next) {
      const seen = version;
      const until = next === Infinity ? planClosesAt : next;
      await condition(() => mustRoll() || version !== seen || amendment !== undefined, Math.max(1, until - now));
      continue;
    }
    const due: FindingEvent[] = [];
    while (pending.length && pending[0].at <= now) due.push(pending.shift()!);
    await act(due);
  }
  await condition(allHandlersFinished);
  const final = [...planned.keys()].filter((id) => isFinal(records[id])).length;
  return { planId: plan.id, sliceIndex: input.sliceIndex, findings: planned.size, final };

  /** The latest instant the record holds, so that actions stay in the order they were applied. */
  function lastInstant(r: FindingRecord): number {
    const times = [r.assignedAt, ...r.claims.map((c) => c.decision?.at ?? c.at), ...r.notes.map((n) => n.at), ...r.rechecks.map((x) => x.answer?.at ?? 0), ...(r.extensions ?? []).map((x) => x.at)];
    return Math.max(...times);
  }

  /** Acts on the events that are due: assignments first, then every notice still called for, in one mail batch per instant. */
  async function act(due: FindingEvent[]): Promise<void> {
    const changed = new Map<string, FindingRecord>();
    const notices: { spec: FindingNoticeSpec; event: FindingEvent }[] = [];
    for (const e of due) {
      const p = planned.get(e.findingId);
      if (!p || !stillDue(records[e.findingId], e)) continue;
      if (e.kind === 'assign') {
        const { record, events } = assign(plan, p, e.at);
        records[e.findingId] = record;
        changed.set(e.findingId, record);
        // The assignment notice goes out in this batch; the ladder waits for its instants.
        const [assigned, ...ladder] = events;
        notices.push({ spec: noticeSpec(p, record, assigned), event: assigned });
        pending.push(...ladder);
        pending.sort(compareFindingEvents);
        continue;
      }
      const record = records[e.findingId];
      if (e.kind === 'recheck') record.rechecks[record.rechecks.length - 1].sent = true;
      notices.push({ spec: noticeSpec(p, record, e), event: e });
      changed.set(e.findingId, record);
    }
    busy = true;
    try {
      for (let start = 0; start < notices.length; start += BATCH_SIZE) {
        const slice = notices.slice(start, start + BATCH_SIZE);
        const byInstant = new Map<number, typeof slice>();
        for (const n of slice) byInstant.set(n.event.at, [...(byInstant.get(n.event.at) ?? []), n]);
        for (const [at, group] of byInstant) {
          const outcomes = await sendFindingNotices({ at: new Date(at).toISOString(), notices: group.map((n) => n.spec), digest: plan.delivery?.digest !== false });
          outcomes.forEach((outcome, k) => {
            const { event } = group[k];
            const record = records[event.findingId];
            if (event.kind === 'reminder') record.reminders++;
            if (event.kind === 'escalation') record.escalations++;
            if (event.kind === 'reminder' || event.kind === 'escalation') markSent(record, event);
            if (outcome.status === 'refused') record.deliveryIssues.push({ kind: event.kind as FindingNoticeKind, round: event.round, number: event.number, reason: outcome.reason });
            record.version++;
          });
        }
      }
      if (changed.size) await recordFindings({ planId: plan.id, records: [...changed.values()], actions: [] });
    } finally {
      busy = false;
    }
  }

  function noticeSpec(p: PlannedFinding, record: FindingRecord, e: FindingEvent): FindingNoticeSpec {
    const kind = e.kind as FindingNoticeKind;
    const unit = units.get(p.finding.unit)!;
    const unitAddresses = addressList(unit.email);
    const leader = unit.leader ? leaders.get(unit.leader) : undefined;
    const leaderAddresses = leader ? addressList(leader.email) : [];
    const verifierAddresses =
      p.finding.verifier === HEADQUARTERS ? addressList(plan.headquarters.email) : addressList(units.get(p.finding.verifier)!.email);
    let to = unitAddresses;
    let cc: string[] = [];
    if (kind === 'finding-assigned' || kind === 'finding-reopened' || kind === 'finding-extended') cc = leaderAddresses;
    else if (kind === 'escalation') {
      if (e.escalateTo === 'unitLeader') [to, cc] = [leaderAddresses, unitAddresses];
      else [to, cc] = [addressList(plan.headquarters.email), leaderAddresses];
    } else if (kind === 'claim-received' || kind === 'verify-reminder' || kind === 'recheck') to = verifierAddresses;
    // A rejection tells the deadline of the round it starts; every other notice that of its own round.
    const told = kind === 'claim-rejected' ? e.round + 1 : e.round;
    const round = record.rounds.find((r) => r.round === told) ?? record.rounds[record.rounds.length - 1];
    const reason = kind === 'claim-rejected' || kind === 'finding-extended' ? e.reason : undefined;
    // An extension's notice tells the day it gave and the day it replaced (a later extension may have moved it since).
    const extension = kind === 'finding-extended' ? record.extensions?.[e.number - 1] : undefined;
    return {
      key: { planId: plan.id, findingId: e.findingId, kind, round: e.round, number: e.number },
      at: new Date(e.at).toISOString(),
      to,
      cc,
      locale: plan.locale,
      timezone: plan.timezone,
      planTitle: plan.title,
      findingTitle: p.finding.title,
      inspectionId: p.round.id,
      inspectionTitle: p.round.title,
      unitId: unit.id,
      unitName: unit.name,
      dueDay: extension?.dueDay ?? round.dueDay,
      ...(extension ? { previousDueDay: extension.previousDueDay } : {}),
      ...(e.escalateTo ? { escalatedTo: e.escalateTo } : {}),
      verifier: p.finding.verifier,
      ...(reason ? { reason } : {}),
    };
  }
}
