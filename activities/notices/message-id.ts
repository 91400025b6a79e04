/** The Message-ID of a notice, derived from its business key alone, so every retry produces the same one. */
import { createHash } from 'node:crypto';
import { noticeKeyText, type NoticeKey } from '../../workflows/contract/notice.js';

const DEFAULT_DOMAIN = 'review-cycles.invalid';

/** `<rc.<kind>.<sha256 of the key>@<domain>>` for any business key written as text. */
export function messageIdForText(kind: string, keyText: string, domain = DEFAULT_DOMAIN): string {
  const digest = createHash('sha256').update(keyText).digest('hex').slice(0, 40);
  return `<rc.${kind}.${digest}@${domain}>`;
}

/** The Message-ID of a request, reminder or escalation: the same key always gives the same Message-ID. */
export function messageIdFor(key: NoticeKey, domain = DEFAULT_DOMAIN): string {
  return messageIdForText(key.kind, noticeKeyText(key), domain);
}
