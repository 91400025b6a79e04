/**
 * One message per recipient per instant across activity calls. The notices of one instant reach the mail activities
 * in several calls (the groups a unit's tasks are split over, the findings workflow beside them, a review's lagging
 * notices): each call offers its digest items to the sent log's outbox, waits the gather window, and one of them
 * claims every item of (plan, instant, recipients) still unclaimed and sends them as one digest; the others find
 * their keys claimed and wait for the outcome, which each call reports to its own workflow. A call skips the window
 * when, by the plan record, no other workflow can send to its items' recipients (workflows/cycle/senders.ts).
 */
import { randomUUID } from 'node:crypto';
import { Context } from '@temporalio/activity';
import type { NoticeOutcome } from '../../workflows/contract/notice.js';
import type { Gatherer, SentEntry } from '../mail/sent-log.js';
import { deliverOnce, outcomeWriter } from './deliver-once.js';
import { digestMessageId, failureText, messageOf, type DeliverDeps, type DeliveredMessage, type DigestItem } from './digest.js';

/** How often a call looks again at keys another call is sending (ms). */
const POLL_MS = 200;

/** The `to` and `cc` sets of an item as one text: items with the same one travel together. */
export function recipientsKey(item: Pick<DigestItem, 'to' | 'cc'>): string {
  const set = (xs: readonly string[]) => [...new Set(xs)].sort().join(',');
  return `to=${set(item.to)}\ncc=${set(item.cc)}`;
}

/**
 * Who sends: the activity (its workflow, run and activity id, the same in every attempt, so that the retry of a call
 * cut off between claim and hand-over sends its message at once), or a fresh name outside an activity.
 */
export function senderName(): string {
  try {
    const { workflowExecution: w, activityId } = Context.current().info;
    if (w) return `${w.workflowId}/${w.runId}/${activityId}`;
  } catch {
    // not inside an activity
  }
  return `process:${randomUUID()}`;
}

/** The workflow whose activity this is, or undefined outside an activity. */
export function callerWorkflowId(): string | undefined {
  try {
    return Context.current().info.workflowExecution?.workflowId;
  } catch {
    return undefined; // not inside an activity
  }
}

/** A key's outcome from its row in the sent log, once it is sent or refused. */
function outcomeOf(e: SentEntry | undefined): NoticeOutcome | undefined {
  if (e?.status === 'sent') return { status: 'sent', messageId: e.messageId, rejected: e.rejected ?? [] };
  if (e?.status === 'refused') return { status: 'refused', messageId: e.messageId, reason: e.reason ?? 'refused' };
  return undefined;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The Message-ID of items gathered into one message: a lone item's own, else the digest's of the instant and keys. */
function gatheredMessageId(items: readonly DigestItem[], domain?: string): string {
  return items.length === 1 ? items[0].single.messageId : digestMessageId(items[0].at, items.map((i) => i.keyText), domain);
}

export interface GatherOptions<T extends DigestItem> {
  heartbeat?: (done: number) => void;
  onMessage?: (m: DeliveredMessage<T>) => void;
  /** The lease holder's name (default: senderName()). */
  owner?: string;
  /** The workflow the call is of (default: the activity's, callerWorkflowId()): whether it may skip the window. */
  workflowId?: string;
  /** Delivers items the sent log had claimed by the per-call rule (else they come back in `left`). */
  perCall?: (items: T[]) => Promise<NoticeOutcome[]>;
}

/**
 * Delivers `items` (digest items, none `alone`) through the outbox. Returns the outcome of each item that went
 * through it, by item; items the sent log already had under a Message-ID of the per-call rule (claimed before the
 * gather step, or by code before it) are returned in `left` for that rule.
 */
export async function deliverGathered<T extends DigestItem>(
  deps: DeliverDeps,
  gather: Gatherer,
  items: readonly T[],
  o: GatherOptions<T>,
): Promise<{ outcomes: Map<T, NoticeOutcome>; left: T[] }> {
  const owner = o.owner ?? senderName();
  const workflowId = o.workflowId ?? callerWorkflowId();
  const outcomes = new Map<T, NoticeOutcome>();
  const left: T[] = [];
  const byPlan = new Map<string, T[]>();
  for (const i of items) (byPlan.get(i.planId) ?? byPlan.set(i.planId, []).get(i.planId)!).push(i);
  let done = 0;

  /** Sends a claimed message (its items as the outbox keeps them) and writes its outcome for every key it carries. */
  const send = async (planId: string, messageId: string, raw: unknown[]) => {
    const carried = raw as T[];
    const message = messageOf(carried, messageId, deps.from);
    const writer = outcomeWriter(deps.sentLog);
    try {
      const { fresh } = await deliverOnce(deps.mailer, deps.sentLog, message, carried[0].facts, { prior: undefined, writer });
      await writer.flush();
      o.onMessage?.({ messageId, subject: message.subject, items: carried, fresh });
    } catch (err) {
      await writer.flush().catch(() => {});
      // The mail server is down: the message shows as "not delivered yet", and the next attempt (anyone's) sends it.
      await deps.sentLog.failing?.([messageId], failureText(err)).catch(() => {});
      await gather.release(planId, messageId, owner).catch(() => {});
      throw err;
    }
    await gather.finish(planId, messageId);
  };

  for (const [planId, mine] of byPlan) {
    const offerOf = (i: T) => ({ keyText: i.keyText, at: i.at, recipientsKey: recipientsKey(i), item: i });
    // Whether the window is needed (the plan record's senders of these recipients) is asked beside the offer.
    const alone = workflowId && gather.sendsAlone
      ? gather.sendsAlone(planId, workflowId, mine.map((i) => ({ to: i.to, cc: i.cc }))).catch(() => false)
      : Promise.resolve(false);
    let states = await gather.offer(planId, mine.map(offerOf));
    /** Settles what the states say; returns the items still to wait for. */
    const sort = (xs: readonly T[]): T[] => {
      const still: T[] = [];
      for (const i of xs) {
        const s = states.get(i.keyText);
        const out = outcomeOf(s?.entry);
        if (out) {
          outcomes.set(i, out);
          done++;
        } else if (s?.entry && !s.claimedBy) {
          // In the sent log under no gathered message: claimed by the per-call rule, which sends it again.
          left.push(i);
        } else still.push(i);
      }
      return still;
    };
    let pending = sort(mine);
    // Keys the per-call rule claimed go out again first, as that rule says (and as they did before the outbox).
    if (left.length && o.perCall) {
      const again = left.splice(0);
      (await o.perCall(again)).forEach((x, k) => outcomes.set(again[k], x));
    }
    if (!pending.length) continue;
    // The gather window: the other calls of this instant offer theirs meanwhile. It ends once no call has offered an
    // item of these instants for the quiet time (they fire together, so they offer together), or at its end. None
    // when no other workflow can send to these recipients: no other call could offer an item they would share.
    if (pending.some((i) => !states.get(i.keyText)?.claimedBy) && !(await alone)) {
      const ats = [...new Set(pending.map((i) => i.at))];
      const start = Date.now();
      for (let step = gather.quietMs; ; ) {
        o.heartbeat?.(done);
        await sleep(Math.max(1, Math.min(step, gather.gatherMs - (Date.now() - start))));
        if (Date.now() - start >= gather.gatherMs) break;
        const quiet = await gather.sinceLastOffer(planId, ats);
        if (quiet >= gather.quietMs) break;
        step = gather.quietMs - quiet;
      }
    }
    while (pending.length) {
      // Not in the outbox any more and not in the sent log (cannot happen but by hand): offered again.
      const lost = pending.filter((i) => !states.get(i.keyText)?.offered);
      if (lost.length) await gather.offer(planId, lost.map(offerOf));
      // Each group of this call's that still has unclaimed items: claim all of its items (any call's) as one message.
      const groups = new Map<string, T>();
      for (const i of pending) if (!states.get(i.keyText)?.claimedBy) groups.set(`${i.at}\n${recipientsKey(i)}`, i);
      const claim = (i: T) =>
        gather.claimGroup(planId, i.at, recipientsKey(i), owner, (raw) => {
          const gathered = raw as DigestItem[];
          return { messageId: gatheredMessageId(gathered, deps.messageIdDomain), facts: gathered.map((g) => g.facts) };
        });
      const heads = [...groups.values()];
      for (const [n, i] of heads.entries()) {
        const claimed = await claim(i);
        try {
          if (claimed) await send(planId, claimed.messageId, claimed.items);
        } catch (err) {
          // The mail server is down: the rest of this call's messages are claimed too, so that they show as "not
          // delivered yet" (and are sent as they are by whoever tries next).
          for (const rest of heads.slice(n + 1)) {
            const c = await claim(rest).catch(() => undefined);
            if (!c) continue;
            await deps.sentLog.failing?.([c.messageId], failureText(err)).catch(() => {});
            await gather.release(planId, c.messageId, owner).catch(() => {});
          }
          throw err;
        }
      }
      if (groups.size) {
        states = await gather.states(planId, pending.map((i) => i.keyText));
        pending = sort(pending);
        if (!pending.length) break;
      }
      // Claimed by another call and not out yet: sent by us once its sender's lease ran out (or when the claim is our
      // own, from an attempt of this activity that was cut off between claim and hand-over).
      let sent = false;
      for (const messageId of new Set(pending.map((i) => states.get(i.keyText)?.claimedBy).filter((m): m is string => !!m))) {
        const raw = await gather.takeOver(planId, messageId, owner);
        if (raw) {
          await send(planId, messageId, raw);
          sent = true;
        }
      }
      if (!sent) {
        o.heartbeat?.(done);
        await sleep(POLL_MS);
      }
      states = await gather.states(planId, pending.map((i) => i.keyText));
      pending = sort(pending);
    }
  }
  return { outcomes, left };
}
