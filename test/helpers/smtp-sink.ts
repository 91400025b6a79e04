/** A real SMTP server inside the test process that parses every message it receives. */
import { afterAll, beforeAll } from 'vitest';
import { createSmtpMailer, type Mailer } from '../../activities/mail/mailer.js';
import { simpleParser, type ParsedMail } from 'mailparser';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface CaughtMessage {
  envelopeTo: string[];
  parsed: ParsedMail;
  messageId: string;
  subject: string;
  to: string[];
  cc: string[];
  headers: Map<string, unknown>;
}

export interface SmtpSink {
  url: string;
  messages: CaughtMessage[];
  /** Refuse RCPT TO for these addresses with 550. */
  refuse: Set<string>;
  close(): Promise<void>;
}

const addresses = (a: ParsedMail['to']): string[] =>
  !a ? [] : (Array.isArray(a) ? a : [a]).flatMap((x) => x.value.map((v) => v.address ?? ''));

/** Starts an SMTP server on a loopback port (a free one unless given). */
export async function startSmtpSink(port = 0): Promise<SmtpSink> {
  const messages: CaughtMessage[] = [];
  const refuse = new Set<string>();
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onRcptTo(address, _session, callback) {
      if (refuse.has(address.address)) {
        const err = new Error(`mailbox ${address.address} unavailable`) as Error & { responseCode: number };
        err.responseCode = 550;
        return callback(err);
      }
      callback();
    },
    onData(stream, session, callback) {
      simpleParser(stream)
        .then((parsed) => {
          messages.push({
            envelopeTo: session.envelope.rcptTo.map((r) => r.address),
            parsed,
            messageId: parsed.messageId ?? '',
            subject: parsed.subject ?? '',
            to: addresses(parsed.to),
            cc: addresses(parsed.cc),
            headers: parsed.headers,
          });
          callback();
        })
        .catch(callback);
    },
  });
  // A sender that dies mid-transfer resets its connection: that is the sender's business, not a failure of the sink.
  server.on('error', () => {});
  await new Promise<void>((ok) => server.listen(port, '127.0.0.1', ok));
  const bound = (server.server.address() as AddressInfo).port;
  return {
    url: `smtp://127.0.0.1:${bound}`,
    messages,
    refuse,
    close: () => new Promise((ok) => server.close(() => ok())),
  };
}

/**
 * A sink and one pooled SMTP mailer to it for a test file: started before its tests (handed to `set`), closed after.
 */
export function useSmtpMailer(set: (sink: SmtpSink, mailer: Mailer) => void): void {
  let sink: SmtpSink | undefined;
  let mailer: Mailer | undefined;
  beforeAll(async () => {
    sink = await startSmtpSink();
    mailer = createSmtpMailer(sink.url);
    set(sink, mailer);
  });
  afterAll(async () => {
    await mailer?.close();
    await sink?.close();
  });
}
