/**
 * The mail catcher of `npm start`: a real SMTP server in this process, on the loopback interface, that keeps every
 * message it receives. Each message is written to a folder as an `.eml` file (under a temporary name, then renamed,
 * so a reader never sees half a message), followed by one line in `index.jsonl`. The folder is the whole state: a
 * catcher started again over the same folder lists everything caught before.
 *
 * It is the portal's MailStore: `list()` gives the caught messages newest first, parsed back from their files.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { appendFile, open, readdir, readFile, rename, stat } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { simpleParser, type AddressObject } from 'mailparser';
import { SMTPServer } from 'smtp-server';

import type { CaughtMail, MailStore } from '../../workflows/contract/outbox.js';

export type { CaughtMail, MailStore };

export interface MailCatcherOptions {
  /** The folder the messages are kept in (created if missing). */
  dir: string;
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Largest message accepted, in bytes (default 25 MB). */
  maxBytes?: number;
}

export interface MailCatcher extends MailStore {
  /** `smtp://<host>:<port>`, for a mailer. */
  url: string;
  host: string;
  port: number;
  dir: string;
  /** Stops accepting mail and waits for the messages being received to be written. Safe to call twice. */
  close(): Promise<void>;
}

/** One line of `index.jsonl`. */
interface IndexEntry {
  file: string;
  at: string;
  messageId?: string;
  from?: string;
  rcptTo?: string[];
}

export const INDEX_FILE = 'index.jsonl';
const DEFAULT_MAX_BYTES = 25 * 1024 * 1024;

const URL_RE = /https?:\/\/[A-Za-z0-9\-._~:/?#[\]@!$&'()*+,;=%]+/g;

/** Every http(s) URL in `text`, in order, each once (trailing punctuation of the sentence left out). */
export function linksIn(text: string): string[] {
  const found = new Set<string>();
  for (const m of text.matchAll(URL_RE)) {
    let url = m[0].replace(/[.,;:!?'"]+$/, '');
    // A closing bracket belongs to the URL only if it opens one inside it.
    while (/[)\]]$/.test(url) && count(url, url.endsWith(')') ? '(' : '[') < count(url, url.endsWith(')') ? ')' : ']')) {
      url = url.slice(0, -1).replace(/[.,;:!?'"]+$/, '');
    }
    if (/^https?:\/\/[^/]/.test(url)) found.add(url);
  }
  return [...found];
}

const count = (s: string, c: string) => s.split(c).length - 1;

/** The kind of a notice: its X-Review-Cycles-Kind header, else the `<rc.<kind>.…>` of its Message-ID. */
export function kindOf(header: unknown, messageId: string | undefined): string {
  if (typeof header === 'string' && header.trim()) return header.trim();
  const m = /^<?rc\.([A-Za-z-]+)\./.exec(messageId ?? '');
  return m ? m[1] : 'other';
}

const addresses = (a: AddressObject | AddressObject[] | undefined): string[] =>
  !a ? [] : (Array.isArray(a) ? a : [a]).flatMap((x) => x.value.map((v) => v.address ?? '').filter(Boolean));

/** Parses one stored message back into a CaughtMail. */
async function parseCaught(raw: Buffer, entry: IndexEntry): Promise<CaughtMail> {
  const parsed = await simpleParser(raw);
  const messageId = parsed.messageId ?? entry.messageId ?? '';
  const text = parsed.text ?? '';
  const to = addresses(parsed.to);
  return {
    messageId,
    at: entry.at,
    kind: kindOf(parsed.headers.get('x-review-cycles-kind'), messageId),
    to: to.length ? to : (entry.rcptTo ?? []),
    cc: addresses(parsed.cc),
    subject: parsed.subject ?? '',
    links: linksIn(text),
    text,
    html: typeof parsed.html === 'string' ? parsed.html : '',
  };
}

/** Starts the catcher; rejects (with the listen error, e.g. code EADDRINUSE) if it cannot listen. */
export async function startMailCatcher(options: MailCatcherOptions): Promise<MailCatcher> {
  const { dir } = options;
  const host = options.host ?? '127.0.0.1';
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  mkdirSync(dir, { recursive: true });
  const indexFile = join(dir, INDEX_FILE);

  // Messages are written one after another, so index lines follow the order of arrival.
  let writing: Promise<unknown> = Promise.resolve();
  let counter = 0;
  const runId = randomBytes(3).toString('hex');

  async function store(raw: Buffer, from: string | undefined, rcptTo: string[]): Promise<void> {
    const receivedAt = new Date();
    const at = receivedAt.toISOString();
    const name = `${at.replace(/[-:.]/g, '')}-${runId}-${String(++counter).padStart(6, '0')}.eml`;
    const tmp = join(dir, `.${name}.tmp`);
    const handle = await open(tmp, 'w', 0o600);
    try {
      await handle.writeFile(raw);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, join(dir, name));
    const messageId = /^message-id:\s*(\S+)/im.exec(raw.subarray(0, 64 * 1024).toString('latin1').split(/\r?\n\r?\n/)[0])?.[1];
    const entry: IndexEntry = { file: name, at, ...(messageId ? { messageId } : {}), ...(from ? { from } : {}), rcptTo };
    await appendFile(indexFile, `${JSON.stringify(entry)}\n`);
  }

  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    disableReverseLookup: true,
    logger: false,
    size: maxBytes,
    banner: 'review-cycles mail catcher',
    // On close, a client still connected (a pooled mailer) is cut off after a second rather than the default 30.
    closeTimeout: 1_000,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('error', (err) => callback(err));
      stream.on('end', () => {
        if (stream.sizeExceeded) {
          const err = new Error(`message exceeds the fixed maximum message size of ${maxBytes} bytes`) as Error & { responseCode: number };
          err.responseCode = 552;
          return callback(err);
        }
        const raw = Buffer.concat(chunks);
        const from = session.envelope.mailFrom ? session.envelope.mailFrom.address : undefined;
        const rcptTo = session.envelope.rcptTo.map((r) => r.address);
        const done = writing.then(() => store(raw, from, rcptTo));
        writing = done.catch(() => {});
        done.then(
          () => callback(),
          (err: Error) => {
            // Not kept: the sender is told to try again later (4xx), so nothing is lost silently.
            const e = new Error(`cannot keep the message: ${err.message}`) as Error & { responseCode: number };
            e.responseCode = 451;
            callback(e);
          },
        );
      });
    },
  });

  await new Promise<void>((ok, fail) => {
    const onError = (err: Error) => fail(err);
    server.once('error', onError);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', onError);
      ok();
    });
  });
  // Later errors (a client misbehaving) must not bring the process down.
  server.on('error', () => {});
  const port = (server.server.address() as AddressInfo).port;

  const cache = new Map<string, CaughtMail>();

  async function readIndex(): Promise<IndexEntry[]> {
    let text: string;
    try {
      text = await readFile(indexFile, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    const entries: IndexEntry[] = [];
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      try {
        const e = JSON.parse(line) as IndexEntry;
        if (typeof e.file === 'string' && typeof e.at === 'string') entries.push(e);
      } catch {
        // a line cut off by a crash: its message is still found below, by its file
      }
    }
    return entries;
  }

  let closed: Promise<void> | undefined;
  return {
    url: `smtp://${host}:${port}`,
    host,
    port,
    dir,
    async list() {
      const entries = await readIndex();
      const indexed = new Set(entries.map((e) => e.file));
      // A message written just before a crash, without its index line, still counts (received at its file's time).
      const files = (await readdir(dir)).filter((f) => f.endsWith('.eml') && !f.startsWith('.'));
      for (const file of files.filter((f) => !indexed.has(f)).sort()) {
        const s = await stat(join(dir, file)).catch(() => undefined);
        if (s) entries.push({ file, at: s.mtime.toISOString() });
      }
      const present = new Set(files);
      const order = entries.filter((e) => present.has(e.file)).map((e, i) => ({ e, i }));
      order.sort((a, b) => (a.e.at < b.e.at ? 1 : a.e.at > b.e.at ? -1 : b.i - a.i));
      const out: CaughtMail[] = [];
      for (const { e } of order) {
        let mail = cache.get(e.file);
        if (!mail) {
          try {
            mail = await parseCaught(await readFile(join(dir, e.file)), e);
          } catch {
            continue; // unreadable: left out rather than failing the whole list
          }
          cache.set(e.file, mail);
        }
        out.push(mail);
      }
      return out;
    },
    close() {
      closed ??= new Promise<void>((ok) => server.close(() => ok())).then(() => writing.then(() => undefined));
      return closed;
    },
  };
}
