/**
 * Hands one message to the mail server once per Message-ID, whatever retries and crashes happen: at least once, and
 * twice only when a crash cut the hand-over itself (then under the same Message-ID, which receivers de-duplicate on).
 */
import type { NoticeOutcome } from '../../workflows/contract/notice.js';
import { NotDelivered, PermanentRefusal, type Mailer, type OutgoingMessage } from '../mail/mailer.js';
import type { NoticeFacts, SentEntry, SentLog } from '../mail/sent-log.js';

/** What an earlier attempt left in the log, as this attempt's outcome; undefined when it must (re)send. */
function earlierOutcome(entry: SentEntry | undefined, messageId: string): NoticeOutcome | undefined {
  switch (entry?.status) {
    case 'sent':
      return { status: 'sent', messageId, rejected: entry.rejected ?? [] };
    case 'refused':
      return { status: 'refused', messageId, reason: entry.reason ?? 'refused' };
    default:
      // No entry, `unsent`, or a `sending` mark a crash left behind: (re)send under the same Message-ID.
      return undefined;
  }
}

/**
 * Sends `message` unless the log says an earlier attempt delivered it or the server refused it for good. A permanent
 * refusal is returned; any other failure is thrown (the activity is retried, and sends again).
 */
export async function deliverOnce(
  mailer: Mailer,
  log: SentLog,
  message: OutgoingMessage,
  notice: NoticeFacts,
  /**
   * Given when the caller has claimed the message already (claimAll): its entry before the claim, and the writer that
   * records the outcome while the next hand-over begins (the caller flushes it before it reports the batch done).
   */
  claimed?: { prior: SentEntry | undefined; writer?: OutcomeWriter },
): Promise<{ outcome: NoticeOutcome; fresh: boolean; resent: boolean }> {
  const { messageId } = message;
  const entry = claimed ? claimed.prior : await log.get(messageId);
  const earlier = earlierOutcome(entry, messageId);
  if (earlier) return { outcome: earlier, fresh: false, resent: false };
  const resent = entry?.status === 'sending';
  if (!claimed) await log.add({ messageId, status: 'sending', notice });
  try {
    const settle = (e: SentEntry) => (claimed?.writer ? claimed.writer.write(e) : log.add(e));
    const { rejected } = await mailer.send(message);
    await settle({ messageId, status: 'sent', rejected });
    return { outcome: { status: 'sent', messageId, rejected }, fresh: true, resent };
  } catch (err) {
    if (err instanceof PermanentRefusal) {
      await (claimed?.writer ? claimed.writer.write({ messageId, status: 'refused', reason: err.message }) : log.add({ messageId, status: 'refused', reason: err.message }));
      return { outcome: { status: 'refused', messageId, reason: err.message }, fresh: false, resent };
    }
    if (err instanceof NotDelivered) await log.add({ messageId, status: 'unsent' }).catch(() => {});
    throw err;
  }
}

/** Writes outcomes into the log a few at a time without holding up the next hand-over; flush() waits for them all. */
export interface OutcomeWriter {
  /** Starts writing `entry`; resolves at once unless `max` writes are already in flight. */
  write(entry: SentEntry): Promise<void>;
  /** Waits until every outcome is written; throws the first failure. */
  flush(): Promise<void>;
}

/** An OutcomeWriter over `log` with at most `max` writes in flight. */
export function outcomeWriter(log: SentLog, max = 8): OutcomeWriter {
  const inFlight = new Set<Promise<void>>();
  let failure: unknown;
  return {
    async write(entry) {
      if (failure) throw failure;
      while (inFlight.size >= max) await Promise.race(inFlight);
      const p: Promise<void> = log.add(entry).then(
        () => void inFlight.delete(p),
        (err) => {
          inFlight.delete(p);
          failure ??= err;
        },
      );
      inFlight.add(p);
    },
    async flush() {
      await Promise.all(inFlight);
      if (failure) throw failure;
    },
  };
}
