/** The outbox page: the messages the local mail catcher caught. */
import type { Catalogue } from '../catalogue/en.js';
import { html, type Html } from '../html.js';
import { page } from '../layout.js';
import type { CaughtMail } from '../mail-store.js';

/** Only web links become anchors; anything else in a message is shown as text. */
const isWebLink = (s: string) => /^https?:\/\//i.test(s);

/** The list of caught messages, newest first; their HTML bodies are never rendered, only their text. */
export function outboxPage(c: Catalogue, mails: CaughtMail[]): Html {
  const body = mails.length
    ? html`<table id="outbox"><thead><tr><th>${c.common.time}</th><th>${c.outbox.kind}</th><th>${c.outbox.to}</th><th>${c.outbox.cc}</th><th>${c.outbox.subject}</th><th>${c.outbox.links}</th></tr></thead><tbody>
${mails.map(
  (m) => html`<tr data-kind="${m.kind}" data-message-id="${m.messageId}"><td>${m.at}</td><td>${m.kind}</td><td>${m.to.join(', ')}</td><td>${m.cc.join(', ')}</td>
<td><details><summary>${m.subject}</summary><pre>${m.text}</pre></details></td>
<td>${m.links.map((l) => (isWebLink(l) ? html`<a href="${l}" rel="noreferrer">${l.replace(/^(https?:\/\/[^/]+\/[rl]\/).{12,}$/i, '$1…')}</a><br>` : html`${l}<br>`))}</td></tr>`,
)}
</tbody></table>`
    : html`<p>${c.outbox.empty}</p>`;
  return page(c, c.outbox.title, html`<p>${c.outbox.lead}</p>${body}`);
}
