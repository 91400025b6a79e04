/**
 * The cycles of one group of a plan's tasks: for every quarter, request -> reminders -> escalation ladder for each
 * (task, unit) that has not reported, with one timer and one mail batch per shared instant.
 */
import {
  ApplicationFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  patched,
  proxyActivities,
  setHandler,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import { daysLate } from './calendar/index.js';
import { arrivalOf, revisionInstant } from './contract/arrival.js';
import { MAIL_RETRY } from './contract/notice.js';
import { planWorkflowId, recordKey } from './contract/ids.js';
import { pairKey } from './contract/amend.js';
import { amendTimeline } from './amend/timeline.js';
import { pairsOf, statusPlanOf } from './amend/track.js';
import {
  amendGroupSignal,
  busyQuery,
  extendReportUpdate,
  groupStatusQuery,
  recordsQuery,
  reviewReportUpdate,
  reviewTallySignal,
  revisionsQuery,
  submitReportUpdate,
  timelineQuery,
} from './contract/messages.js';
import type { NoticeBatch, NoticeSpec } from './contract/notice.js';
import type { RecordChange } from './contract/progress.js';
import { applyOutcome, type OutcomeRule } from './cycle/outcomes.js';
import type { Plan, Task, Unit } from './contract/plan.js';
import type { GroupAmendment } from './contract/amend.js';
import { throwIfRefused } from './cycle/refuse.js';
import { decisionRefusals, extensionRefusals, reportRefusals, type ReportScope } from './cycle/validate.js';
import { closeOf, currentDue, extensionLadder, quarterDue, quarterExtension, revisionDue, sentInRound, sequenceOf } from './cycle/extension.js';
import {
  extensionInputSchema,
  reportInputSchema,
  reviewDecisionSchema,
  type DecisionReceipt,
  type ExtensionReceipt,
  type ReportInput,
  type ReportReceipt,
  type ReviewDecision,
} from './contract/report.js';
import type { UnitPeriodRecord } from './contract/status.js';
import { recipientsOf } from './cycle/recipients.js';
import { reportReceipt } from './cycle/receipts.js';
import { Recorder } from './cycle/recorder.js';
import { revisionLadder, type RevisionEvent } from './cycle/revision.js';
import { groupStatus, lastDecision, roundOf, taskTimeline } from './cycle/status.js';
import { allEvents, cycleTimeline, nextNotice, ownLanePairs, type CycleEvent, type TrackedPeriod } from './cycle/timeline.js';
import { groupTally } from './review/tally.js';
import { reviewWindows, type ReviewWindow } from './review/windows.js';

const { sendNotices } = proxyActivities<Activities>({
  startToCloseTimeout: '10 minutes',
  // Heartbeats come after every message: a worker that dies mid-batch is noticed in seconds, not minutes.
  heartbeatTimeout: '20 seconds',
  // A mail server that is down is retried with backoff, without limit; permanent refusals come back as outcomes.
  retry: MAIL_RETRY,
});

// What the group accepted reaches the system of record through this activity, batched (see flushRecords).
const { recordProgress } = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

/**
 * Under load, the records are written at most this often, one write at a time (a write carries every change since
 * the last one), so a reader sees a report within the interval plus two writes. Runs begun before
 * `records-every-200ms` wrote at most once a second.
 */
const WRITE_INTERVAL_MS = 200;
const WRITE_INTERVAL_BEFORE_MS = 1_000;
/** Most notices handed to one activity call. */
const BATCH_SIZE = 500;
/** Revisions kept per report before further ones are refused (bounds the state). */
const MAX_REVISIONS = 50;
/** Extensions kept per report before further ones are refused (bounds the state). */
const MAX_EXTENSIONS = 20;
/** Roll over to a fresh run well before Temporal's per-execution limits. */
const MAX_UPDATES_PER_RUN = 500;
const MAX_HISTORY_PER_RUN = 8_000;

/** What a group workflow carries over continue-as-new. */
export interface GroupCarry {
  /** Every event at or before this instant has been acted on. */
  doneThrough: number | null;
  records: Record<string, UnitPeriodRecord>;
  /** Notices still to come of the ladders that follow returned reports. */
  pending?: RevisionEvent[];
  /** Set by runs that record into the system of record: every record is there, and revisions keep no texts. */
  recorded?: boolean;
}

export interface GroupInput {
  plan: Plan;
  /** Set once the plan has been amended: the timeline, reviews and membership in force (see workflows/amend). */
  amended?: GroupAmended;
  /** Set for a group an amendment started for new tasks: reviews made before it are not its to count. */
  joinedAt?: number;
  groupIndex: number;
  /** When the plan was started: quarters whose due day ended before it are not tracked. */
  startedAt: number;
  carry?: GroupCarry;
  /** Lower roll-over thresholds (tests use them to force continue-as-new). */
  limits?: RollLimits;
}

/** What a group carries of the amendments applied to it. */
export interface GroupAmended {
  version: number;
  at: number;
  timeline: TrackedPeriod[];
  /** The reviews still to count, at their instants in force. */
  windows: ReviewWindow[];
  /** The reviews this group has counted, or never will (made before it joined). */
  handled: string[];
  joined: Record<string, number>;
  left: Record<string, number>;
  retiredTasks: (Task & { retiredAt: number })[];
  retiredUnits: Unit[];
}

export interface RollLimits {
  maxUpdatesPerRun?: number;
  maxHistoryPerRun?: number;
}

export interface GroupResult {
  planId: string;
  groupIndex: number;
  closedAt: string;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** Runs the review cycles of the tasks in `input.plan` until their last quarter closes. */
export async function groupWorkflow(input: GroupInput): Promise<GroupResult> {
  const { plan, startedAt, amended } = input;
  const periods = amended?.timeline ?? cycleTimeline(plan, startedAt);
  const byPeriod = new Map(periods.map((p) => [p.schedule.period, p]));
  // Status, reviews and records read the version in force plus what amendments retired (their earlier quarters count).
  const statusPlan = statusPlanOf(plan, amended);
  const membership = amended ? { joined: amended.joined, left: amended.left } : undefined;
  const ownLanes = ownLanePairs(periods);
  let amendment: GroupAmendment | undefined;
  const tasks = new Map(plan.tasks.map((t) => [t.id, t]));
  const units = new Map(plan.units.map((u) => [u.id, u]));
  const records: Record<string, UnitPeriodRecord> = input.carry?.records ?? {};
  let doneThrough = input.carry?.doneThrough ?? null;
  const pending: RevisionEvent[] = input.carry?.pending ?? [];
  let pendingVersion = 0;
  let busy = false;
  let updatesThisRun = 0;

  // The system of record: changed records are written in batches, at most one write in flight; texts once.
  const recording = patched('system-of-record');
  const recorder = new Recorder(statusPlan, byPeriod, records, input.carry?.recorded === true);
  const touch = (taskId: string, unitId: string, period: string) => {
    if (recording) recorder.touch(taskId, unitId, period);
  };

  const scope: ReportScope = { plan, tasks, units, byPeriod, records, maxRevisions: MAX_REVISIONS, maxExtensions: MAX_EXTENSIONS };
  const validateReport = (raw: ReportInput) => throwIfRefused(reportRefusals(scope, raw, Date.now()));
  const validateDecision = (raw: ReviewDecision) => throwIfRefused(decisionRefusals(scope, raw, Date.now()));
  const validateExtension = (raw: unknown) => throwIfRefused(extensionRefusals(scope, raw, Date.now()));

  const receipt = reportReceipt;

  setHandler(
    submitReportUpdate,
    (raw) => {
      const r = reportInputSchema.parse(raw);
      const record = records[recordKey(r.taskId, r.unitId, r.period)];
      const seen = record.revisions.findIndex((v) => v.requestId === r.requestId);
      if (seen >= 0) return receipt(r, record, seen, true);
      // Stamped where it entered (the validator refused stamps out of bounds); unstamped Updates arrive now. Only
      // Updates that carry the stamp are affected, so histories recorded before it replay unchanged.
      const now = revisionInstant(arrivalOf(r.receivedAt, Date.now()).at, record);
      const { requestId, status, summary, progress, problems, nextSteps, submittedBy } = r;
      // The revision a return asked for counts from its due day (an extension's, once extended); read before it clears.
      const revisionDueDay = revisionDue(record)?.dueDay;
      record.revisions.push({ requestId, arrivedAt: now, status, summary, progress, problems, nextSteps, submittedBy });
      touch(r.taskId, r.unitId, r.period);
      if (record.submittedAt === undefined) {
        record.submittedAt = now;
        record.daysLate = daysLate(now, quarterDue(byPeriod.get(r.period)!, record).dueDay, plan.timezone);
      }
      updatesThisRun++;
      if (record.awaitingSince !== undefined) {
        // The revision asked for by a return: its lateness counts from the revision's due day; its ladder stops.
        record.awaitingSince = undefined;
        const late = revisionDueDay ? daysLate(now, revisionDueDay, plan.timezone) : 0;
        return receipt(r, record, record.revisions.length - 1, false, late);
      }
      return receipt(r, record, record.revisions.length - 1, false);
    },
    { validator: validateReport },
  );
  function decisionReceipt(d: ReviewDecision, record: UnitPeriodRecord, index: number, duplicate: boolean): DecisionReceipt {
    const x = record.decisions![index];
    const round = record.decisions!.slice(0, index + 1).filter((y) => y.decision === 'return').length;
    return {
      taskId: d.taskId,
      unitId: d.unitId,
      period: d.period,
      decision: x.decision,
      at: iso(x.at),
      revisionDueDay: x.revisionDueDay ?? null,
      revisionDueAt: x.revisionDeadline !== undefined ? iso(x.revisionDeadline) : null,
      round,
      duplicate,
    };
  }

  setHandler(
    reviewReportUpdate,
    (raw) => {
      const d = reviewDecisionSchema.parse(raw);
      const record = records[recordKey(d.taskId, d.unitId, d.period)];
      const decisions = (record.decisions ??= []);
      const seen = decisions.findIndex((x) => x.requestId === d.requestId);
      if (seen >= 0) return decisionReceipt(d, record, seen, true);
      const now = Date.now();
      updatesThisRun++;
      touch(d.taskId, d.unitId, d.period);
      if (d.decision === 'accept') {
        decisions.push({ decision: 'accept', at: now, requestId: d.requestId, by: d.by });
        record.awaitingSince = undefined;
        return decisionReceipt(d, record, decisions.length - 1, false);
      }
      const round = roundOf(record) + 1;
      const ladder = revisionLadder(plan, now, { taskId: d.taskId, unitId: d.unitId, period: d.period, round });
      decisions.push({ decision: 'return', at: now, requestId: d.requestId, comment: d.comment, by: d.by, revisionDueDay: ladder.dueDay, revisionDeadline: ladder.deadline });
      record.awaitingSince = now;
      // A ladder begun after extensions says how many, so that a later extension supersedes it (absent: none).
      const extended = record.extensions?.length ?? 0;
      pending.push(...(extended ? ladder.events.map((e) => ({ ...e, extension: extended })) : ladder.events));
      pending.sort((a, b) => a.at - b.at);
      pendingVersion++;
      return decisionReceipt(d, record, decisions.length - 1, false);
    },
    { validator: validateDecision },
  );
  function extensionReceipt(record: UnitPeriodRecord, x: { taskId: string; unitId: string; period: string }, index: number, duplicate: boolean): ExtensionReceipt {
    const e = record.extensions![index];
    return {
      taskId: x.taskId,
      unitId: x.unitId,
      period: x.period,
      extension: index + 1,
      at: iso(e.at),
      until: e.until,
      dueDay: e.dueDay,
      dueAt: iso(e.deadline),
      previousDueDay: e.previousDueDay,
      round: e.round,
      duplicate,
    };
  }

  setHandler(
    extendReportUpdate,
    (raw) => {
      const x = extensionInputSchema.parse(raw);
      const record = records[recordKey(x.taskId, x.unitId, x.period)];
      const extensions = (record.extensions ??= []);
      const seen = extensions.findIndex((e) => e.requestId === x.requestId);
      if (seen >= 0) return extensionReceipt(record, x, seen, true);
      const now = Date.now();
      updatesThisRun++;
      touch(x.taskId, x.unitId, x.period);
      const period = byPeriod.get(x.period)!;
      const round = record.awaitingSince !== undefined ? roundOf(record) : 0;
      const previousDueDay = currentDue(period, record).dueDay;
      const n = extensions.length + 1;
      const ladder = extensionLadder(plan, now, x.until, {
        taskId: x.taskId, unitId: x.unitId, period: x.period, round, extension: n, closeAt: closeOf(period, record), ...sentInRound(record, round),
      });
      extensions.push({ requestId: x.requestId, at: now, until: x.until, dueDay: ladder.dueDay, deadline: ladder.deadline, previousDueDay, closeAt: ladder.closeAt, round, reason: x.reason, ...(x.by ? { by: x.by } : {}) });
      pending.push(...ladder.events);
      pending.sort((a, b) => a.at - b.at);
      pendingVersion++;
      return extensionReceipt(record, x, extensions.length - 1, false);
    },
    { validator: validateExtension },
  );
  setHandler(amendGroupSignal, (a) => {
    // The latest version wins; a repeated or older one changes nothing.
    if (a.version > (amendment?.version ?? amended?.version ?? 1)) amendment = a;
  });
  setHandler(timelineQuery, ({ taskId }) => taskTimeline(statusPlan, taskId, records, periods));
  setHandler(groupStatusQuery, () => groupStatus(statusPlan, periods, records, Date.now(), membership));
  setHandler(busyQuery, () => busy || !recorded());
  setHandler(recordsQuery, () => records);
  setHandler(revisionsQuery, ({ taskId, unitId, period }) => records[recordKey(taskId, unitId, period)]?.revisions ?? []);

  const mustRoll = () =>
    workflowInfo().continueAsNewSuggested ||
    workflowInfo().historyLength > (input.limits?.maxHistoryPerRun ?? MAX_HISTORY_PER_RUN) ||
    updatesThisRun >= (input.limits?.maxUpdatesPerRun ?? MAX_UPDATES_PER_RUN);

  async function roll(): Promise<never> {
    await condition(allHandlersFinished);
    const next = amendment ? applyAmendment(amendment) : input;
    await condition(recorded);
    return continueAsNew<typeof groupWorkflow>({ ...next, carry: { doneThrough, records, pending, ...(recording ? { recorded: true } : {}) } });
  }

  /**
   * The input of the run that goes on under the amended version: its timeline (workflows/amend/timeline.ts), the
   * reviews still to count, and the open quarters of pairs taken off marked withdrawn (written before the roll).
   */
  function applyAmendment(a: GroupAmendment): GroupInput {
    const at = Math.max(a.at, (doneThrough ?? -Infinity) + 1);
    const had = pairsOf(plan);
    const joining = [...pairsOf(a.plan)].filter((k) => !had.has(k));
    const timeline = amendTimeline({ previous: periods, plan: a.plan, startedAt, at: a.at, doneThrough, joining });
    const counted = (w: ReviewWindow) => doneThrough !== null && w.at <= doneThrough;
    const handled = new Set(amended ? amended.handled : reviewWindows(plan).map((w) => w.id).filter((id) => !windows.some((w) => w.id === id)));
    for (const w of windows) if (counted(w)) handled.add(w.id);
    const stillToCount = reviewWindows(a.plan).filter((w) => !handled.has(w.id)).map((w) => ({ ...w, at: Math.max(w.at, at) }));
    // A due day an amendment moved: the report's calendar event is updated, not duplicated (its SEQUENCE grows).
    const movedDue = new Set(timeline.filter((p) => byPeriod.get(p.schedule.period) && byPeriod.get(p.schedule.period)!.schedule.deadline !== p.schedule.deadline).map((p) => p.schedule.period));
    for (const [key, record] of Object.entries(records)) {
      const [taskId, unitId, period] = key.split('|');
      if (!movedDue.has(period) || quarterExtension(record)) continue;
      record.dueMoves = (record.dueMoves ?? 0) + 1;
      touch(taskId, unitId, period);
    }
    const stays = pairsOf(a.plan);
    for (const [key, record] of Object.entries(records)) {
      const [taskId, unitId, period] = key.split('|');
      const p = byPeriod.get(period);
      if (stays.has(pairKey(taskId, unitId)) || record.withdrawnAt !== undefined || !p || p.schedule.closeAt <= at) continue;
      record.withdrawnAt = at;
      touch(taskId, unitId, period);
    }
    const { plan: next, version, joined, left, retiredTasks, retiredUnits } = a;
    return { ...input, plan: next, amended: { version, at: a.at, timeline, windows: stillToCount, handled: [...handled], joined, left, retiredTasks, retiredUnits } };
  }

  /** True when every change has reached the system of record. */
  function recorded(): boolean {
    return !recording || recorder.idle();
  }

  /**
   * Writes the changed records, one batch at a time, as long as the group runs: at once after a quiet spell (a lone
   * report is written within a round trip), at most once per WRITE_INTERVAL_MS under load (one write carries them all).
   */
  async function flushRecords(): Promise<void> {
    let lastWrite = -Infinity;
    const interval = patched('records-every-200ms') ? WRITE_INTERVAL_MS : WRITE_INTERVAL_BEFORE_MS;
    for (;;) {
      await condition(() => recorder.hasWork());
      const wait = lastWrite + interval - Date.now();
      if (wait > 0) await sleep(wait);
      lastWrite = Date.now();
      const batch = recorder.take();
      let ok = false;
      try {
        await recordProgress({ planId: plan.id, changes: batch.changes });
        ok = true;
      } finally {
        recorder.done(batch, ok);
      }
    }
  }
  if (recording) void flushRecords();

  // Runs begun before reviews existed replay without them.
  const windows = amended ? amended.windows : patched('reviews') ? reviewWindows(plan).filter((w) => input.joinedAt === undefined || w.at >= input.joinedAt) : [];
  const events = allEvents(periods, windows).filter((e) => doneThrough === null || e.at > doneThrough);
  let i = 0;
  for (;;) {
    const nextStatic = i < events.length ? events[i].at : Infinity;
    const at = Math.min(nextStatic, pending.length ? pending[0].at : Infinity);
    if (at === Infinity) break;
    if (Date.now() < at) {
      // Wakes early to roll over, or when a return adds notices that may come first.
      const seen = pendingVersion;
      if (await condition(() => mustRoll() || pendingVersion !== seen || amendment !== undefined, at - Date.now())) {
        if (mustRoll() || amendment) await roll();
      }
      continue;
    }
    if (nextStatic === at) {
      const batch: CycleEvent[] = [];
      while (i < events.length && events[i].at === at) batch.push(events[i++]);
      await act(batch, at);
      for (const event of batch) {
        if (event.kind !== 'review') continue;
        const window = windows.find((w) => w.id === event.period)!;
        await getExternalWorkflowHandle(planWorkflowId(plan.id)).signal(reviewTallySignal, groupTally(statusPlan, input.groupIndex, periods, records, window, membership));
      }
      doneThrough = at;
    }
    const due = pending.filter((e) => e.at <= at);
    if (due.length) {
      pending.splice(0, due.length);
      await actOnRevisions(due, at);
    }
    if (mustRoll() || amendment) await roll();
  }
  await condition(allHandlersFinished);
  await condition(recorded);
  return { planId: plan.id, groupIndex: input.groupIndex, closedAt: iso(Date.now()) };

  /** Sends the notices of every event at `at` to the units that have not reported, and records the outcome. */
  async function act(batch: CycleEvent[], at: number): Promise<void> {
    const notices: { spec: NoticeSpec; record: UnitPeriodRecord }[] = [];
    for (const event of batch) {
      if (event.kind === 'deadline' || event.kind === 'close' || event.kind === 'review') continue;
      const period = byPeriod.get(event.period)!;
      // A ladder of its own (pairs an amendment added to a requested quarter) reaches only them; the quarter's own the rest.
      const only = event.pairs ? new Set(event.pairs) : undefined;
      const own = ownLanes.get(event.period);
      for (const task of plan.tasks) {
        for (const unitId of task.units) {
          const pair = pairKey(task.id, unitId);
          if (only ? !only.has(pair) : own?.has(pair)) continue;
          const key = recordKey(task.id, unitId, event.period);
          if (event.kind === 'request') {
            records[key] ??= { requestedAt: at, reminders: 0, escalations: 0, revisions: [], deliveryIssues: [] };
          } else if (!records[key] || records[key].submittedAt !== undefined) {
            continue;
          } else if (quarterExtension(records[key])) {
            continue; // extended: its own ladder, counted from the new due day, follows instead
          }
          notices.push({ spec: noticeSpec(task.id, unitId, event, period, at), record: records[key] });
        }
      }
    }
    if (notices.length === 0) return;
    busy = true;
    try {
      for (let start = 0; start < notices.length; start += BATCH_SIZE) {
        const slice = notices.slice(start, start + BATCH_SIZE);
        await deliver(slice, at, 'cycle');
      }
    } finally {
      busy = false;
    }
  }

  /** Sends the due notices of the ladders that follow returns, to the units whose revision has not arrived. */
  async function actOnRevisions(due: RevisionEvent[], at: number): Promise<void> {
    const notices: { spec: NoticeSpec; record: UnitPeriodRecord }[] = [];
    for (const e of due) {
      if (e.kind === 'deadline' || e.kind === 'close') continue; // only wake the workflow (the status turns overdue on time; a late report is still taken)
      const record = records[recordKey(e.taskId, e.unitId, e.period)];
      if (!record) continue;
      // A ladder stops once its report arrived, was accepted or returned again, or a later extension replaced it.
      if ((e.extension ?? 0) !== (record.extensions?.length ?? 0)) continue;
      if (e.round === 0 ? record.submittedAt !== undefined || lastDecision(record) !== undefined : record.awaitingSince === undefined || roundOf(record) !== e.round) continue;
      const period = byPeriod.get(e.period)!;
      const same = (p: RevisionEvent) => p.taskId === e.taskId && p.unitId === e.unitId && p.period === e.period && p.round === e.round && (p.extension ?? 0) === (e.extension ?? 0);
      const next = pending.find((p) => same(p) && p.kind !== 'deadline' && p.kind !== 'close');
      const kind = e.kind as 'returned' | 'extended' | 'reminder' | 'escalation';
      const event: CycleEvent = { at, kind: kind === 'returned' || kind === 'extended' ? 'request' : kind, period: e.period, number: e.number, escalateTo: e.escalateTo };
      const spec = noticeSpec(e.taskId, e.unitId, event, period, at);
      // The extended notice's key names the extension, not the round: (plan, task, unit, period, extended, n).
      spec.key = { ...spec.key, kind, ...(kind === 'extended' ? {} : { round: e.round }) };
      const dueNow = currentDue(period, record);
      spec.dueDay = dueNow.dueDay;
      spec.deadline = iso(dueNow.deadline);
      if (kind === 'returned') spec.comment = lastDecision(record)!.comment;
      if (kind === 'extended') {
        spec.reason = dueNow.extension!.reason;
        spec.previousDueDay = dueNow.extension!.previousDueDay;
        if (e.round > 0) spec.revision = true;
      }
      // Once extended, every notice's calendar event counts returns and extensions together (before: the round).
      if (record.extensions?.length && (kind === 'returned' || kind === 'extended')) spec.sequence = sequenceOf(record);
      spec.next = next ? { kind: next.kind as NoticeSpec['key']['kind'], at: iso(next.at), to: next.kind === 'escalation' ? (next.escalateTo ?? 'headquarters') : 'unit' } : null;
      notices.push({ spec, record });
    }
    if (!notices.length) return;
    busy = true;
    try {
      await deliver(notices, at, 'revision');
    } finally {
      busy = false;
    }
  }

  /**
   * Hands the notices to the mail activity and applies the outcomes to their records. Recording, the activity applies
   * the same outcomes to the records it is handed and writes them in the same call; a record changed meanwhile (a
   * report arriving during the batch) is written again by the flush loop, with both changes.
   */
  async function deliver(notices: { spec: NoticeSpec; record: UnitPeriodRecord }[], at: number, rule: OutcomeRule): Promise<void> {
    const mark = recorder.mark();
    let records: NoticeBatch['records'];
    if (recording) {
      const position = new Map<UnitPeriodRecord, number>();
      const changes: RecordChange[] = [];
      const index = notices.map(({ spec, record }) => {
        if (!position.has(record)) {
          position.set(record, changes.length);
          changes.push(recorder.snapshot(spec.key.taskId, spec.key.unitId, spec.key.period));
        }
        return position.get(record)!;
      });
      records = { rule, changes, index };
    }
    // Only a plan that turned digests off says so: other batches (and their recorded inputs) are unchanged.
    const digest = plan.delivery?.digest === false ? { digest: false } : {};
    const outcomes = await sendNotices({ at: iso(at), notices: notices.map((n) => n.spec), ...(records ? { records } : {}), ...digest });
    outcomes.forEach((outcome, k) => applyOutcome(notices[k].record, notices[k].spec, outcome, at, rule));
    for (const { spec } of notices) {
      const { taskId, unitId, period } = spec.key;
      if (recorder.touchedSince(taskId, unitId, period, mark)) touch(taskId, unitId, period);
    }
  }

  function noticeSpec(taskId: string, unitId: string, event: CycleEvent, period: TrackedPeriod, at: number): NoticeSpec {
    const task = tasks.get(taskId)!;
    const unit = units.get(unitId);
    if (!unit) throw ApplicationFailure.nonRetryable(`task ${taskId} names unknown unit ${unitId}`);
    const kind = event.kind as NoticeSpec['key']['kind'];
    const next = nextNotice(period, event);
    return {
      key: { planId: plan.id, taskId, unitId, period: event.period, kind, number: event.number },
      at: iso(at),
      ...recipientsOf(plan, unit, kind, event.escalateTo),
      locale: plan.locale,
      timezone: plan.timezone,
      planTitle: plan.title,
      taskTitle: task.title,
      unitName: unit.name,
      dueDay: period.schedule.dueDay,
      deadline: iso(period.schedule.deadline),
      escalatedTo: event.escalateTo,
      ...(unit.leader ? { leaderId: unit.leader } : {}),
      next: next
        ? {
            kind: next.kind as NoticeSpec['key']['kind'],
            at: iso(next.at),
            to: next.kind === 'escalation' ? (next.escalateTo ?? 'headquarters') : 'unit',
          }
        : null,
    };
  }
}
