/**
 * One message per recipient per instant: notices of one instant with the same `to` and `cc` sets travel as one digest,
 * still exactly once per business key. Any notice family (report notices, review notices, findings) feeds it items.
 */
import { createHash } from 'node:crypto';
import type { NoticeLine, NoticeOutcome } from '../../workflows/contract/notice.js';
import type { Mailer, MailAttachment, OutgoingMessage } from '../mail/mailer.js';
import { claimKeys, type NoticeFacts, type SentEntry, type SentLog } from '../mail/sent-log.js';
import { deliverOnce, outcomeWriter } from './deliver-once.js';
import { renderDigest } from './digest-render.js';
import { deliverGathered } from './gather.js';

/** One line of a digest's table. */
export interface DigestRow {
  /** What the notice is about, e.g. the task's title and id. */
  item: string;
  /** The quarter (YYYY-Qn) or window it belongs to. */
  period?: string;
  /** The notice in words, e.g. "Reminder 2". */
  notice: string;
  /** The local due day (YYYY-MM-DD): the table shows it and how late the notice's instant is against it. */
  dueDay?: string;
  /** The notice's own link (its report form), with its label. */
  link?: [string, string];
}

/** A notice as the digest sees it: its business key, recipients, instant, kind, one table row and its own message. */
export interface DigestItem {
  planId: string;
  planTitle: string;
  keyText: string;
  /** The notice's kind (request, reminder, escalation, returned, lagging, a finding's kind, ...). */
  kind: string;
  at: string;
  to: string[];
  cc: string[];
  locale: string;
  timezone: string;
  row: DigestRow;
  /** Links about the recipient rather than this item (the unit's page, its calendar feed): a digest lists them once. */
  commonLinks?: [string, string][];
  attachments?: MailAttachment[];
  /** The message that carries this notice alone: exactly today's single notice (subject, bodies, Message-ID). */
  single: OutgoingMessage;
  /** What the sent log keeps of the notice. */
  facts: NoticeFacts;
  /** Never merged (a review's document travels on its own). */
  alone?: boolean;
  /**
   * Its notices.jsonl line. A digest gathered across calls carries items of other calls (of any family), which reach
   * the sender's onMessage with their line.
   */
  line?: NoticeLine;
}

/** A message as it went out (or was found already sent) and the items it carries. */
export interface DeliveredMessage<T extends DigestItem> {
  messageId: string;
  subject: string;
  items: T[];
  /** Handed over by this call (not found in the log). */
  fresh: boolean;
}

const DEFAULT_DOMAIN = 'review-cycles.invalid';

/** The Message-ID of a digest: from its instant and the sorted business keys it carries, nothing else. */
export function digestMessageId(at: string, keyTexts: readonly string[], domain = DEFAULT_DOMAIN): string {
  const digest = createHash('sha256').update([at, ...[...keyTexts].sort()].join('\n')).digest('hex').slice(0, 40);
  return `<rc.digest.${digest}@${domain}>`;
}

const set = (xs: readonly string[]) => [...new Set(xs)].sort().join(',');

/** The items that travel together: same instant, same `to` set and same `cc` set (or each alone without digests). */
export function digestGroups<T extends DigestItem>(items: readonly T[], digest: boolean): T[][] {
  const groups = new Map<string, T[]>();
  items.forEach((item, n) => {
    const id = digest && !item.alone ? `${item.planId}\n${item.at}\n${set(item.to)}\n${set(item.cc)}` : `#${n}`;
    const g = groups.get(id);
    if (g) g.push(item);
    else groups.set(id, [item]);
  });
  return [...groups.values()];
}

/** The Message-ID of a set of items: a lone item's own, else the digest's. */
function messageIdOf(items: readonly DigestItem[], domain?: string): string {
  return items.length === 1 ? items[0].single.messageId : digestMessageId(items[0].at, items.map((i) => i.keyText), domain);
}

/** The message of a set of items under `messageId`: a lone item's own message, else a digest listing them. */
export function messageOf(items: readonly DigestItem[], messageId: string, from: string): OutgoingMessage {
  if (items.length === 1 && items[0].single.messageId === messageId) return items[0].single;
  const sorted = [...items].sort((a, b) => (a.keyText < b.keyText ? -1 : a.keyText > b.keyText ? 1 : 0));
  const { subject, text, html } = renderDigest(sorted);
  const first = sorted[0];
  const kinds = [...new Set(sorted.map((i) => i.kind))];
  const attachments = sorted.flatMap((i) => i.attachments ?? []);
  return {
    messageId,
    from,
    to: first.to,
    cc: first.cc,
    subject,
    text,
    html,
    headers: {
      'X-Review-Cycles-Keys': sorted.map((i) => i.keyText).join(' '),
      'X-Review-Cycles-At': first.at,
      'X-Review-Cycles-Kind': kinds.length === 1 ? kinds[0] : 'digest',
      'X-Review-Cycles-Digest': String(sorted.length),
    },
    ...(attachments.length ? { attachments } : {}),
  };
}

export interface DeliverDeps {
  mailer: Mailer;
  sentLog: SentLog;
  from: string;
  messageIdDomain?: string;
}

/**
 * Delivers the items, grouped into digests when `digest`, each business key exactly once; returns each item's outcome
 * in the items' order. With a sent log that gathers (the database's), the digest items go through its outbox and meet
 * those of other activity calls of the same instant and recipients (see gather.ts); a review's document, and keys
 * the log had claimed by the per-call rule, go by the per-call rule (deliverInCall). Gathered messages reach
 * `onMessage` in the call that sent them, with every item they carried (other calls' items too).
 */
export async function deliverItems<T extends DigestItem>(
  deps: DeliverDeps,
  items: readonly T[],
  o: { digest: boolean; heartbeat?: (done: number) => void; onMessage?: (m: DeliveredMessage<T>) => void; owner?: string },
): Promise<NoticeOutcome[]> {
  const gather = o.digest ? deps.sentLog.gather : undefined;
  if (!gather || items.every((i) => i.alone)) return deliverInCall(deps, items, o);
  const outcomes = new Map<T, NoticeOutcome>();
  const alone = items.filter((i) => i.alone);
  if (alone.length) (await deliverInCall(deps, alone, o)).forEach((x, k) => outcomes.set(alone[k], x));
  const gathered = await deliverGathered(deps, gather, items.filter((i) => !i.alone), { ...o, perCall: (xs) => deliverInCall(deps, xs, o) });
  for (const [i, x] of gathered.outcomes) outcomes.set(i, x);
  if (gathered.left.length) (await deliverInCall(deps, gathered.left, o)).forEach((x, k) => outcomes.set(gathered.left[k], x));
  return items.map((i) => outcomes.get(i)!);
}

/**
 * Delivers the items of one call, grouped into digests when `digest`, each business key exactly once. Returns each item's
 * outcome (in the items' order) and the messages. A key the log shows sent or refused keeps that outcome; a key
 * claimed before under some Message-ID (a crash cut its hand-over) goes out again under that Message-ID with the
 * keys that share it; the other keys of the group make one message whose Message-ID comes from them alone.
 */
export async function deliverInCall<T extends DigestItem>(
  deps: DeliverDeps,
  items: readonly T[],
  o: { digest: boolean; heartbeat?: (done: number) => void; onMessage?: (m: DeliveredMessage<T>) => void },
): Promise<NoticeOutcome[]> {
  const planned = digestGroups(items, o.digest).map((g) => ({ items: g, messageId: messageIdOf(g, deps.messageIdDomain) }));
  // One round trip for the whole batch: every key claimed under its planned Message-ID, or the one it had.
  const prior = await claimKeys(deps.sentLog, planned.flatMap((p) => p.items.map((i) => ({ messageId: p.messageId, notice: i.facts }))));
  const outcomes = new Map<T, NoticeOutcome>();
  const sends: { items: T[]; messageId: string; prior?: SentEntry }[] = [];
  for (const p of planned) {
    const fresh = p.items.filter((i) => !prior.has(i.keyText));
    if (fresh.length === p.items.length) {
      sends.push({ items: p.items, messageId: p.messageId });
      continue;
    }
    const again = new Map<string, { items: T[]; prior: SentEntry }>();
    for (const i of p.items) {
      const e = prior.get(i.keyText);
      if (!e) continue;
      if (e.status === 'sent') outcomes.set(i, { status: 'sent', messageId: e.messageId, rejected: e.rejected ?? [] });
      else if (e.status === 'refused') outcomes.set(i, { status: 'refused', messageId: e.messageId, reason: e.reason ?? 'refused' });
      else (again.get(e.messageId) ?? again.set(e.messageId, { items: [], prior: e }).get(e.messageId)!).items.push(i);
    }
    for (const [messageId, a] of again) sends.push({ items: a.items, messageId, prior: a.prior });
    if (fresh.length) {
      // The keys not claimed before: their own Message-ID (from the rest's keys alone), set before any hand-over.
      const messageId = messageIdOf(fresh, deps.messageIdDomain);
      if (messageId !== p.messageId) await repoint(deps.sentLog, fresh, messageId);
      sends.push({ items: fresh, messageId });
    }
  }
  const writer = outcomeWriter(deps.sentLog);
  let done = 0;
  try {
    for (const [n, s] of sends.entries()) {
      const message = messageOf(s.items, s.messageId, deps.from);
      try {
        const { outcome, fresh } = await deliverOnce(deps.mailer, deps.sentLog, message, s.items[0].facts, { prior: s.prior, writer });
        for (const i of s.items) outcomes.set(i, outcome);
        o.onMessage?.({ messageId: s.messageId, subject: message.subject, items: s.items, fresh });
      } catch (err) {
        // The mail server is down (or failed mid-batch): what is left of the batch shows as "not delivered yet".
        await deps.sentLog.failing?.(sends.slice(n).map((x) => x.messageId), failureText(err)).catch(() => {});
        throw err;
      }
      done += s.items.length;
      o.heartbeat?.(done);
    }
  } finally {
    await writer.flush().catch(() => {}); // a failed write leaves its keys at `sending`: the retry sends them again
  }
  await writer.flush();
  return items.map((i) => outcomes.get(i)!);
}

async function repoint(log: SentLog, items: readonly DigestItem[], messageId: string): Promise<void> {
  if (log.repoint) return log.repoint(items[0].planId, items.map((i) => i.keyText), messageId);
  for (const i of items) await log.add({ messageId, status: 'sending', notice: i.facts });
}

/** One line that says why a hand-over failed (the mail server's own words when it answered). */
export function failureText(err: unknown): string {
  const e = err as { message?: string; cause?: { message?: string } };
  const text = e?.cause?.message ?? e?.message ?? String(err);
  return text.split('\n')[0];
}
