/**
 * The outbox: the local mail catcher's messages, as a page and as JSON. It is a development tool of the embedded
 * default: it exists only when a MailStore is given, and then it is open WITHOUT credential (its links sign a unit in,
 * so never give a MailStore to a portal reachable by others). Without one it answers 404.
 */
import type { Ctx } from '../context.js';
import { HttpError, sendHtml, sendJson } from '../http.js';
import type { MailStore } from '../mail-store.js';
import type { Route } from '../router.js';
import { outboxPage } from '../views/outbox.js';

function store(ctx: Ctx): MailStore {
  if (!ctx.portal.mailStore) throw new HttpError(404, 'notFound', ctx.c.outbox.none);
  return ctx.portal.mailStore;
}

async function page(ctx: Ctx): Promise<void> {
  sendHtml(ctx.res, 200, outboxPage(ctx.c, await store(ctx).list()));
}

async function json(ctx: Ctx): Promise<void> {
  const mails = await store(ctx).list();
  sendJson(ctx.res, 200, mails.map(({ messageId, at, kind, to, cc, subject, links }) => ({ messageId, at, kind, to, cc, subject, links })));
}

/** The outbox's routes. */
export const outboxRoutes: Route<Ctx>[] = [
  { method: 'GET', pattern: '/outbox', handle: page },
  { method: 'GET', pattern: '/api/outbox', handle: json },
];
