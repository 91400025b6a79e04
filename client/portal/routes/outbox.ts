/**
 * The outbox: the local mail catcher's messages, as a page and as JSON. It is a development tool of the embedded
 * default: it exists only when a MailStore is given. Its links sign a unit in, so it is open without credential only
 * while the portal listens on loopback and its public address is loopback too; otherwise it needs headquarters'
 * credential. Without a MailStore it answers 404.
 */
import type { Ctx } from '../context.js';
import { HttpError, sendHtml, sendJson } from '../http.js';
import type { MailStore } from '../mail-store.js';
import type { Route } from '../router.js';
import { outboxPage } from '../views/outbox.js';
import { requireHq } from './hq.js';

async function store(ctx: Ctx): Promise<MailStore> {
  if (!ctx.portal.mailStore) throw new HttpError(404, 'notFound', ctx.c.outbox.none);
  if (!ctx.portal.openOutbox) await requireHq(ctx);
  return ctx.portal.mailStore;
}

async function page(ctx: Ctx): Promise<void> {
  sendHtml(ctx.res, 200, outboxPage(ctx.c, await (await store(ctx)).list()));
}

async function json(ctx: Ctx): Promise<void> {
  const mails = await (await store(ctx)).list();
  sendJson(ctx.res, 200, mails.map(({ messageId, at, kind, to, cc, subject, links }) => ({ messageId, at, kind, to, cc, subject, links })));
}

/** The outbox's routes. */
export const outboxRoutes: Route<Ctx>[] = [
  { method: 'GET', pattern: '/outbox', handle: page },
  { method: 'GET', pattern: '/api/outbox', handle: json },
];
