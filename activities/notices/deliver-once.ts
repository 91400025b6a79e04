/** Hands one message to the mail server at most once per Message-ID, whatever retries and crashes happen. */
import type { NoticeOutcome } from '../../workflows/contract/notice.js';
import { NotDelivered, PermanentRefusal, type Mailer, type OutgoingMessage } from '../mail/mailer.js';
import type { SentEntry, SentLog } from '../mail/sent-log.js';

/** What an earlier attempt left in the log, as this attempt's outcome; undefined when it must (re)send. */
function earlierOutcome(entry: SentEntry | undefined, messageId: string): NoticeOutcome | undefined {
  switch (entry?.status) {
    case 'sent':
      return { status: 'sent', messageId, rejected: entry.rejected ?? [] };
    case 'refused':
      return { status: 'refused', messageId, reason: entry.reason ?? 'refused' };
    case 'sending':
      return {
        status: 'unconfirmed',
        messageId,
        reason: 'delivery unconfirmed: an earlier attempt was cut off while handing the message over; not sent again to avoid a duplicate',
      };
    default:
      return undefined;
  }
}

/**
 * Sends `message` unless the log says an earlier attempt did. A permanent refusal is returned; a failure that proves
 * nothing went out is thrown (the activity is retried); any other failure leaves the `sending` mark, so the retry
 * reports the message as unconfirmed instead of sending it twice.
 */
export async function deliverOnce(
  mailer: Mailer,
  log: SentLog,
  message: OutgoingMessage,
): Promise<{ outcome: NoticeOutcome; fresh: boolean }> {
  const { messageId } = message;
  const earlier = earlierOutcome(log.get(messageId), messageId);
  if (earlier) return { outcome: earlier, fresh: false };
  log.add({ messageId, status: 'sending' });
  try {
    const { rejected } = await mailer.send(message);
    log.add({ messageId, status: 'sent', rejected });
    return { outcome: { status: 'sent', messageId, rejected }, fresh: true };
  } catch (err) {
    if (err instanceof PermanentRefusal) {
      log.add({ messageId, status: 'refused', reason: err.message });
      return { outcome: { status: 'refused', messageId, reason: err.message }, fresh: false };
    }
    if (err instanceof NotDelivered) log.add({ messageId, status: 'unsent' });
    throw err;
  }
}
