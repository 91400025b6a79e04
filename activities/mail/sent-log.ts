/** Remembers which Message-IDs went out, so a retried or re-run activity never delivers one twice. */
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** What the log keeps of a notice besides its outcome: its business key, recipients, instant and subject. */
export interface NoticeFacts {
  planId: string;
  keyText: string;
  kind: string;
  taskId?: string;
  unitId?: string;
  period?: string;
  number?: number;
  round?: number;
  window?: string;
  leaderId?: string;
  at: string;
  to: string[];
  cc: string[];
  subject: string;
}

export interface SentEntry {
  messageId: string;
  /**
   * `sending` is written before the hand-over: found on a retry, the earlier attempt was cut off before its outcome
   * was written, and the message is handed over again under the same Message-ID.
   */
  status: 'sending' | 'sent' | 'refused' | 'unsent';
  reason?: string;
  rejected?: string[];
  /** Given with the `sending` mark. */
  notice?: NoticeFacts;
  /** The business key the entry is about, in answers by key (claimKeys): a digest's keys share its Message-ID. */
  keyText?: string;
}

/** A business key to claim, under the Message-ID planned for it (a key claimed before keeps its own). */
export interface KeyClaim {
  messageId: string;
  notice: NoticeFacts;
}

/** Where the outcome of every hand-over is kept; the database's is shared by every worker. */
export interface SentLog {
  get(messageId: string): Promise<SentEntry | undefined>;
  add(entry: SentEntry): Promise<void>;
  /**
   * Claims a batch at once: marks every message not yet sent or refused `sending` and returns what each one's entry
   * was before (a log may do it in one round trip; see claimAll for the default).
   */
  claim?(items: { messageId: string; notice: NoticeFacts }[]): Promise<Map<string, SentEntry>>;
  /**
   * Claims business keys at once: each key not yet sent or refused is `sending` afterwards, under the Message-ID it
   * was first claimed with (or the planned one); returns each key's entry before the claim, by key text.
   */
  claimKeys?(items: KeyClaim[]): Promise<Map<string, SentEntry>>;
  /** Moves keys claimed in this attempt (not yet handed over) to another Message-ID. */
  repoint?(planId: string, keyTexts: string[], messageId: string): Promise<void>;
  /** Notes that the hand-over of these messages failed and will be retried (shown as "not delivered yet"). */
  failing?(messageIds: string[], reason: string): Promise<void>;
  /**
   * The gather step shared by every worker (the database's log only): digest items of one instant and the same
   * recipients that come from different activity calls travel as one message. Without it a digest gathers the
   * notices of one call.
   */
  gather?: Gatherer;
}

/** A digest item offered to the outbox: its business key, instant, recipients and the item itself (JSON). */
export interface OutboxOffer {
  keyText: string;
  at: string;
  /** The `to` and `cc` sets as one text: items with the same one travel together. */
  recipientsKey: string;
  item: unknown;
}

/** A key as the gather step sees it. */
export interface GatherState {
  keyText: string;
  /** Its row in the sent log, when it has one. */
  entry?: SentEntry;
  /** In the outbox (offered by some call and not finished). */
  offered: boolean;
  /** The Message-ID the outbox claimed it under; undefined while it waits to be gathered. */
  claimedBy?: string;
}

/**
 * The outbox where digest items wait to be gathered across activity calls. Exactly once per business key: a key is
 * claimed under one Message-ID once (with its row in the sent log, in one transaction); the items of that message
 * stay in the outbox until its outcome is written, so whoever sends it again sends the same digest; a lease says
 * who sends it now (its claimer, or the retry of the same activity; anyone once the lease ran out).
 */
export interface Gatherer {
  /** The longest a call waits after offering its items before it gathers (ms): the calls of one instant arrive in it. */
  gatherMs: number;
  /** The wait ends sooner once no call has offered an item of the call's instants for this long (ms). */
  quietMs: number;
  /** Milliseconds since the newest offer of the plan's items at these instants (by the database's clock). */
  sinceLastOffer(planId: string, ats: string[]): Promise<number>;
  /** How long a sender holds a claimed message before another call may send it instead (ms). */
  leaseMs: number;
  /**
   * Whether a call of `workflowId` may skip the gather window for these items: by the plan record, no other workflow
   * of the plan can send to their recipients (workflows/cycle/senders.ts). False when not known.
   */
  sendsAlone?(planId: string, workflowId: string, items: { to: string[]; cc: string[] }[]): Promise<boolean>;
  /** Offers items not yet in the sent log (a key already there is left as it is); returns every key's state. */
  offer(planId: string, offers: OutboxOffer[]): Promise<Map<string, GatherState>>;
  /** The state of keys. */
  states(planId: string, keyTexts: string[]): Promise<Map<string, GatherState>>;
  /**
   * Claims every item of (plan, instant, recipients) still unclaimed as one message, under the Message-ID `plan` gives
   * for them, and takes its lease for `owner`; undefined when no item was left (another call claimed them).
   */
  claimGroup(
    planId: string,
    at: string,
    recipientsKey: string,
    owner: string,
    plan: (items: unknown[]) => { messageId: string; facts: NoticeFacts[] },
  ): Promise<{ messageId: string; items: unknown[] } | undefined>;
  /**
   * Takes the lease of a claimed message not yet sent or refused, when it is free or already `owner`'s; returns its
   * items, or undefined (someone else is sending it, or it went out).
   */
  takeOver(planId: string, messageId: string, owner: string): Promise<unknown[] | undefined>;
  /** Gives up the lease (the hand-over failed: the next attempt, by anyone, sends it). */
  release(planId: string, messageId: string, owner: string): Promise<void>;
  /** Removes a message's items once its outcome is in the sent log. */
  finish(planId: string, messageId: string): Promise<void>;
}

/** The entries of `items` before this claim; each one that is not sent or refused is `sending` afterwards. */
export async function claimAll(log: SentLog, items: { messageId: string; notice: NoticeFacts }[]): Promise<Map<string, SentEntry>> {
  if (log.claim) return log.claim(items);
  const prior = new Map<string, SentEntry>();
  for (const { messageId, notice } of items) {
    const entry = await log.get(messageId);
    if (entry) prior.set(messageId, entry);
    if (entry?.status !== 'sent' && entry?.status !== 'refused') await log.add({ messageId, status: 'sending', notice });
  }
  return prior;
}

/** claimKeys of any log: its own when it has one, else one key at a time over get and add (keys as Message-IDs). */
export async function claimKeys(log: SentLog, items: KeyClaim[]): Promise<Map<string, SentEntry>> {
  if (log.claimKeys) return log.claimKeys(items);
  const prior = new Map<string, SentEntry>();
  for (const { messageId, notice } of items) {
    const entry = await log.get(messageId);
    if (entry) prior.set(notice.keyText, { ...entry, keyText: notice.keyText });
    if (entry?.status !== 'sent' && entry?.status !== 'refused') await log.add({ messageId, status: 'sending', notice });
  }
  return prior;
}

/**
 * Entries by Message-ID, and which Message-ID each business key was claimed under: the bookkeeping of the memory and
 * file logs (a digest's outcome, written once under its Message-ID, is the outcome of every key it carries).
 */
function keyedEntries() {
  const entries = new Map<string, SentEntry>();
  const keys = new Map<string, string>();
  const keyOf = (planId: string, keyText: string) => `${planId}\n${keyText}`;
  return {
    entries,
    keys,
    get: async (id: string) => entries.get(id),
    set(e: SentEntry) {
      const n = e.notice;
      if (e.status === 'sending' && n) {
        const claimed = keys.get(keyOf(n.planId, n.keyText));
        const before = claimed ? entries.get(claimed) : undefined;
        if (before?.status === 'sent' || before?.status === 'refused') return;
        keys.set(keyOf(n.planId, n.keyText), e.messageId);
      }
      entries.set(e.messageId, e);
    },
    async claimKeys(items: KeyClaim[]) {
      const prior = new Map<string, SentEntry>();
      for (const { messageId, notice } of items) {
        const claimed = keys.get(keyOf(notice.planId, notice.keyText));
        const entry = claimed ? entries.get(claimed) : undefined;
        if (entry) prior.set(notice.keyText, { ...entry, keyText: notice.keyText });
        if (entry?.status === 'sent' || entry?.status === 'refused') continue;
        const id = claimed ?? messageId;
        keys.set(keyOf(notice.planId, notice.keyText), id);
        entries.set(id, { messageId: id, status: 'sending', notice });
      }
      return prior;
    },
    async repoint(planId: string, keyTexts: string[], messageId: string) {
      for (const k of keyTexts) keys.set(keyOf(planId, k), messageId);
      const notice = [...entries.values()].find((e) => e.notice?.planId === planId && keyTexts.includes(e.notice.keyText))?.notice;
      entries.set(messageId, { messageId, status: 'sending', ...(notice ? { notice } : {}) });
    },
  };
}

/** An in-memory log, for one process's lifetime (plain-function tests). */
export function createMemorySentLog(): SentLog {
  const k = keyedEntries();
  return { get: k.get, add: async (e) => k.set(e), claimKeys: k.claimKeys, repoint: k.repoint };
}

/** A log kept as JSON lines in a file, written synchronously before the activity moves on (one process only). */
export function createFileSentLog(file: string): SentLog {
  const entries = new Map<string, SentEntry>();
  mkdirSync(dirname(file), { recursive: true });
  if (existsSync(file)) {
    const text = readFileSync(file, 'utf8');
    // A crash may have cut the last line short: end it, so the next entry starts on a line of its own.
    if (text.length && !text.endsWith('\n')) appendFileSync(file, '\n');
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      try {
        const e = JSON.parse(line) as SentEntry;
        entries.set(e.messageId, e);
      } catch {
        // A line cut short by a crash: the message it named is retried, the rest of the log stands.
      }
    }
  }
  return {
    get: async (id) => entries.get(id),
    async add(e) {
      const { notice: _facts, ...kept } = e;
      appendFileSync(file, `${JSON.stringify(kept)}\n`);
      entries.set(e.messageId, kept);
    },
  };
}
