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
  /** Notes that the hand-over of these messages failed and will be retried (shown as "not delivered yet"). */
  failing?(messageIds: string[], reason: string): Promise<void>;
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

/** An in-memory log, for one process's lifetime (plain-function tests). */
export function createMemorySentLog(): SentLog {
  const entries = new Map<string, SentEntry>();
  return { get: async (id) => entries.get(id), add: async (e) => void entries.set(e.messageId, e) };
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
