/** The activity that delivers a batch of notices, exactly once per business key. */
import { Context } from '@temporalio/activity';
import type { NoticeBatch, NoticeOutcome, NoticeSpec } from '../../workflows/contract/notice.js';
import { NotDelivered, PermanentRefusal, type Mailer } from '../mail/mailer.js';
import type { SentEntry, SentLog } from '../mail/sent-log.js';
import { messageIdFor } from './message-id.js';
import { renderNotice } from './render.js';

/** A notice that has just been handed to the mail server (for recorders such as the rehearsal). */
export interface SentNotice {
  spec: NoticeSpec;
  messageId: string;
  subject: string;
}

export interface NoticeDeps {
  mailer: Mailer;
  sentLog: SentLog;
  from: string;
  /** Domain part of Message-IDs. */
  messageIdDomain?: string;
  onSent?: (sent: SentNotice) => void;
}

function heartbeat(done: number): void {
  try {
    Context.current().heartbeat(done);
  } catch {
    // Called outside an activity (plain-function tests): nothing to report to.
  }
}

/** What an earlier attempt left in the log, as this attempt's outcome; undefined when it must (re)send. */
function earlierOutcome(entry: SentEntry | undefined, messageId: string): NoticeOutcome | undefined {
  switch (entry?.status) {
    case 'sent':
      return { status: 'sent', messageId, rejected: entry.rejected ?? [] };
    case 'refused':
      return { status: 'refused', messageId, reason: entry.reason ?? 'refused' };
    case 'sending':
      return { status: 'unconfirmed', messageId, reason: 'delivery unconfirmed: an earlier attempt was cut off while handing the message over; not sent again to avoid a duplicate' };
    default:
      return undefined;
  }
}

/** Builds the notice activity over its dependencies. */
export function createNoticeActivities(deps: NoticeDeps) {
  return {
    /** Sends every notice of the batch that has not been sent before; permanent refusals are returned, not thrown. */
    async sendNotices(batch: NoticeBatch): Promise<NoticeOutcome[]> {
      const outcomes: NoticeOutcome[] = [];
      for (const spec of batch.notices) {
        const messageId = messageIdFor(spec.key, deps.messageIdDomain);
        const earlier = earlierOutcome(deps.sentLog.get(messageId), messageId);
        if (earlier) {
          outcomes.push(earlier);
          continue;
        }
        const { subject, text, html } = renderNotice(spec);
        const headers = {
          'X-Review-Cycles-Key': [spec.key.planId, spec.key.taskId, spec.key.unitId, spec.key.period, spec.key.kind, spec.key.number].join('/'),
          'X-Review-Cycles-At': spec.at,
        };
        deps.sentLog.add({ messageId, status: 'sending' });
        try {
          const { rejected } = await deps.mailer.send({ messageId, from: deps.from, to: spec.to, cc: spec.cc, subject, text, html, headers });
          deps.sentLog.add({ messageId, status: 'sent', rejected });
          outcomes.push({ status: 'sent', messageId, rejected });
          deps.onSent?.({ spec, messageId, subject });
        } catch (err) {
          if (err instanceof PermanentRefusal) {
            deps.sentLog.add({ messageId, status: 'refused', reason: err.message });
            outcomes.push({ status: 'refused', messageId, reason: err.message });
          } else if (err instanceof NotDelivered) {
            deps.sentLog.add({ messageId, status: 'unsent' }); // surely not delivered: the retry sends it
            throw err;
          } else {
            throw err; // cut off mid-transfer: the `sending` mark stays, and the retry does not resend
          }
        }
        heartbeat(outcomes.length);
      }
      return outcomes;
    },
  };
}
