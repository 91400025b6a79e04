/**
 * What a group has still to write into the system of record: the records changed since their last write, and how
 * many revisions of each have had their texts written. Pure bookkeeping; the group workflow runs the writes.
 */
import { recordKey } from '../contract/ids.js';
import type { Plan } from '../contract/plan.js';
import { excerptOf, textOf, withoutTexts, type RecordChange } from '../contract/progress.js';
import type { UnitPeriodRecord } from '../contract/status.js';
import type { TrackedPeriod } from './timeline.js';
import { quarterDue } from './extension.js';

/** Most records written by one write. */
export const RECORDS_PER_WRITE = 500;

/** A batch taken for writing, with what to mark once it is written. */
export interface TakenBatch {
  changes: RecordChange[];
  /** Per record: how many revisions the batch carried texts for. */
  upTo: Map<string, number>;
}

/** The dirty set and the texts already written, over a group's records. */
export class Recorder {
  private readonly dirty = new Map<string, { taskId: string; unitId: string; period: string }>();
  private readonly textsWritten = new Map<string, number>();
  private readonly lastTouch = new Map<string, number>();
  private touches = 0;
  private inFlight = false;

  /**
   * `alreadyRecorded`: the records come from a run that recorded them (their texts are gone); otherwise every one of
   * them is written once.
   */
  constructor(
    private readonly plan: Plan,
    private readonly byPeriod: Map<string, TrackedPeriod>,
    private readonly records: Record<string, UnitPeriodRecord>,
    alreadyRecorded: boolean,
  ) {
    for (const [key, record] of Object.entries(records)) {
      if (alreadyRecorded) this.textsWritten.set(key, record.revisions.length);
      else {
        const [taskId, unitId, period] = key.split('|');
        this.dirty.set(key, { taskId, unitId, period });
      }
    }
  }

  /** Marks a record changed: call after the change is in the record. */
  touch(taskId: string, unitId: string, period: string): void {
    const key = recordKey(taskId, unitId, period);
    this.dirty.set(key, { taskId, unitId, period });
    this.lastTouch.set(key, ++this.touches);
  }

  /** A mark to ask later which records were touched since. */
  mark(): number {
    return this.touches;
  }

  /** Whether the record was touched after `mark` (or is waiting for a write, or in the write in flight). */
  touchedSince(taskId: string, unitId: string, period: string, mark: number): boolean {
    return (this.lastTouch.get(recordKey(taskId, unitId, period)) ?? 0) > mark;
  }

  /** The record as the mail activity writes it after applying the outcomes: without texts (the texts wait for take()). */
  snapshot(taskId: string, unitId: string, period: string): RecordChange {
    return {
      taskId,
      unitId,
      period,
      aspectId: this.plan.tasks.find((t) => t.id === taskId)!.aspect,
      // An extended report is due on its new day (the records' due_at).
      deadline: quarterDue(this.byPeriod.get(period)!, this.records[recordKey(taskId, unitId, period)]).deadline,
      record: withoutTexts(this.records[recordKey(taskId, unitId, period)]),
      texts: [],
    };
  }

  /** True when some change waits for a write. */
  hasWork(): boolean {
    return this.dirty.size > 0;
  }

  /** True when every change is written and no write is in flight. */
  idle(): boolean {
    return this.dirty.size === 0 && !this.inFlight;
  }

  /** Takes up to RECORDS_PER_WRITE changed records for a write. */
  take(): TakenBatch {
    const upTo = new Map<string, number>();
    const changes: RecordChange[] = [];
    for (const [key, { taskId, unitId, period }] of [...this.dirty].slice(0, RECORDS_PER_WRITE)) {
      this.dirty.delete(key);
      const record = this.records[key];
      upTo.set(key, record.revisions.length);
      changes.push({
        taskId,
        unitId,
        period,
        aspectId: this.plan.tasks.find((t) => t.id === taskId)!.aspect,
        deadline: quarterDue(this.byPeriod.get(period)!, record).deadline,
        record: withoutTexts(record),
        texts: record.revisions.slice(this.textsWritten.get(key) ?? 0).map(textOf),
      });
    }
    this.inFlight = true;
    return { changes, upTo };
  }

  /** The write of `batch` ended (`ok`: it succeeded): the revisions it carried keep only their figures from now on. */
  done(batch: TakenBatch, ok: boolean): void {
    this.inFlight = false;
    if (!ok) return;
    for (const [key, upTo] of batch.upTo) {
      const revisions = this.records[key].revisions;
      for (let k = this.textsWritten.get(key) ?? 0; k < upTo; k++) revisions[k] = excerptOf(revisions[k]);
      this.textsWritten.set(key, upTo);
    }
  }
}
