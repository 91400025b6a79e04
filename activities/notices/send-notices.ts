/** The activity that delivers a batch of notices, exactly once per business key. */
import { Context } from '@temporalio/activity';
import type { NoticeBatch, NoticeOutcome, NoticeSpec } from '../../workflows/contract/notice.js';
import { PermanentRefusal, type Mailer } from '../mail/mailer.js';
import type { SentLog } from '../mail/sent-log.js';
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

/** Builds the notice activity over its dependencies. */
export function createNoticeActivities(deps: NoticeDeps) {
  return {
    /** Sends every notice of the batch that has not been sent before; permanent refusals are returned, not thrown. */
    async sendNotices(batch: NoticeBatch): Promise<NoticeOutcome[]> {
      const outcomes: NoticeOutcome[] = [];
      for (const spec of batch.notices) {
        const messageId = messageIdFor(spec.key, deps.messageIdDomain);
        const earlier = deps.sentLog.get(messageId);
        if (earlier) {
          outcomes.push(
            earlier.status === 'sent'
              ? { status: 'sent', messageId, rejected: earlier.rejected ?? [] }
              : { status: 'refused', messageId, reason: earlier.reason ?? 'refused' },
          );
          continue;
        }
        const { subject, text, html } = renderNotice(spec);
        const headers = {
          'X-Review-Cycles-Key': [spec.key.planId, spec.key.taskId, spec.key.unitId, spec.key.period, spec.key.kind, spec.key.number].join('/'),
          'X-Review-Cycles-At': spec.at,
        };
        try {
          const { rejected } = await deps.mailer.send({ messageId, from: deps.from, to: spec.to, cc: spec.cc, subject, text, html, headers });
          deps.sentLog.add({ messageId, status: 'sent', rejected });
          outcomes.push({ status: 'sent', messageId, rejected });
          deps.onSent?.({ spec, messageId, subject });
        } catch (err) {
          if (!(err instanceof PermanentRefusal)) throw err; // the server is down or busy: retried with backoff
          deps.sentLog.add({ messageId, status: 'refused', reason: err.message });
          outcomes.push({ status: 'refused', messageId, reason: err.message });
        }
        heartbeat(outcomes.length);
      }
      return outcomes;
    },
  };
}
