/** The activities a worker registers, built from their dependencies. */
import { createFindingActivities } from './findings/findings-activities.js';
import { createNoticeActivities } from './notices/send-notices.js';
import { createRecordActivities } from './records/record-activities.js';
import { createReviewActivities, type ReviewDeps } from './reviews/publish-review.js';
import { createFindingsReviewActivities } from './reviews/findings-tally.js';

export type ActivityDeps = ReviewDeps;
export type { ReviewDeps };

/** Builds every activity of the project over one set of dependencies. */
export function createActivities(deps: ActivityDeps) {
  return { ...createNoticeActivities(deps), ...createReviewActivities(deps), ...createRecordActivities(deps), ...createFindingActivities(deps), ...createFindingsReviewActivities(deps) };
}

/** The activities' type, for `proxyActivities` in workflows (imported as a type only). */
export type Activities = ReturnType<typeof createActivities>;

export { createSmtpMailer, createOutboxMailer, createDiscardMailer, PermanentRefusal, NotDelivered, type Mailer } from './mail/mailer.js';
export { createFileSentLog, createMemorySentLog, type SentLog } from './mail/sent-log.js';
export type { SentNotice } from './notices/send-notices.js';
export { messageIdFor, messageIdForText } from './notices/message-id.js';
