/** The one interface the notice activity sends through, with the transports a worker can choose. */
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import nodemailer, { type SendMailOptions } from 'nodemailer';

export interface OutgoingMessage {
  messageId: string;
  from: string;
  to: string[];
  cc: string[];
  subject: string;
  text: string;
  html: string;
  headers: Record<string, string>;
  /** Files carried along, e.g. a due day's .ics; built from the notice alone, so a retry carries the same bytes. */
  attachments?: MailAttachment[];
}

/** A file attached to a message. */
export interface MailAttachment {
  filename: string;
  content: string;
  contentType: string;
}

/** What the server took: addresses it refused while accepting the rest. */
export interface SendResult {
  rejected: string[];
}

export interface Mailer {
  send(message: OutgoingMessage): Promise<SendResult>;
  close(): Promise<void>;
}

/** A refusal the server will repeat however often we retry (SMTP 5xx): recorded, never retried. */
export class PermanentRefusal extends Error {
  readonly code = 'EREFUSED_PERMANENTLY';
  constructor(message: string, readonly responseCode?: number) {
    super(message);
    this.name = 'PermanentRefusal';
  }
}

/**
 * A failure that proves the message was not delivered (the server answered 4xx, or the connection failed before the
 * message was handed over): safe to send again on the next attempt.
 */
export class NotDelivered extends Error {
  readonly code = 'ENOTDELIVERED';
  constructor(message: string, readonly cause?: unknown) {
    super(message);
    this.name = 'NotDelivered';
  }
}

// SMTP commands that come before the message is handed over: a failure there means nothing was delivered. Not
// 'CONN': nodemailer names that command for a connection that closes at any moment, after DATA too (a lost reply),
// so a connection failure counts as "not delivered" only by its code (refused, unreachable, ...).
const BEFORE_DATA = new Set(['EHLO', 'HELO', 'LHLO', 'STARTTLS', 'AUTH', 'AUTH PLAIN', 'AUTH LOGIN', 'MAIL FROM', 'RCPT TO', 'GREETING']);
const CONNECT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EDNS', 'ETLS', 'EAUTH']);

/** Sorts an SMTP failure into refused for good, surely not delivered, or uncertain (rethrown as is). */
function classify(err: unknown): never {
  const e = err as { responseCode?: number; response?: string; message?: string; code?: string; command?: string; errno?: string };
  if (typeof e.responseCode === 'number' && e.responseCode >= 500 && e.responseCode < 600) {
    throw new PermanentRefusal(e.response ?? e.message ?? `refused with ${e.responseCode}`, e.responseCode);
  }
  if (typeof e.responseCode === 'number' && e.responseCode >= 400) throw new NotDelivered(e.response ?? e.message ?? 'deferred', err);
  if ((e.command && BEFORE_DATA.has(e.command)) || (e.code && CONNECT_CODES.has(e.code)) || (e.errno && CONNECT_CODES.has(e.errno))) {
    throw new NotDelivered(e.message ?? 'connection failed', err);
  }
  throw err;
}

function toNodemailer(m: OutgoingMessage): SendMailOptions {
  const attachments = m.attachments?.length ? { attachments: m.attachments.map((a) => ({ filename: a.filename, content: a.content, contentType: a.contentType })) } : {};
  return { messageId: m.messageId, from: m.from, to: m.to, cc: m.cc, subject: m.subject, text: m.text, html: m.html, headers: m.headers, ...attachments };
}

/** Sends over SMTP through one pooled connection set, shared by every activity of the worker. */
export function createSmtpMailer(url: string): Mailer {
  const transport = nodemailer.createTransport(url.includes('pool=') ? url : `${url}${url.includes('?') ? '&' : '?'}pool=true`);
  return {
    async send(m) {
      try {
        const info = await transport.sendMail(toNodemailer(m));
        return { rejected: (info.rejected ?? []).map(String) };
      } catch (err) {
        return classify(err);
      }
    },
    async close() {
      transport.close();
    },
  };
}

/** Writes each message as an .eml file into a folder: the default when no SMTP server is configured. */
export function createOutboxMailer(dir: string): Mailer {
  const transport = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  return {
    async send(m) {
      const info = await transport.sendMail(toNodemailer(m));
      const name = `${new Date().toISOString().replace(/[:.]/g, '-')}-${m.messageId.replace(/[^A-Za-z0-9.-]/g, '')}.eml`;
      try {
        await mkdir(dir, { recursive: true });
        // Written under a temporary name and renamed, so a reader never sees half a message.
        await writeFile(join(dir, `.${name}.tmp`), info.message as Buffer);
        await rename(join(dir, `.${name}.tmp`), join(dir, name));
      } catch (err) {
        throw new NotDelivered(`cannot write to the outbox ${dir}: ${(err as Error).message}`, err);
      }
      return { rejected: [] };
    },
    async close() {},
  };
}

/** Builds every message in full and keeps nothing: for rehearsals, where only what was sent matters. */
export function createDiscardMailer(): Mailer {
  const transport = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  return {
    async send(m) {
      await transport.sendMail(toNodemailer(m));
      return { rejected: [] };
    },
    async close() {},
  };
}
