/** The Message-ID of a notice, derived from its business key alone, so every retry produces the same one. */
import { createHash } from 'node:crypto';
import { noticeKeyText, type NoticeKey } from '../../workflows/contract/notice.js';

/** `<rc.<sha256 of the key>@<domain>>`: the same key always gives the same Message-ID. */
export function messageIdFor(key: NoticeKey, domain = 'review-cycles.invalid'): string {
  const digest = createHash('sha256').update(noticeKeyText(key)).digest('hex').slice(0, 40);
  return `<rc.${key.kind}.${digest}@${domain}>`;
}
