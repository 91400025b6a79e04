/** Remembers which Message-IDs went out, so a retried or re-run activity never delivers one twice. */
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';

export interface SentEntry {
  messageId: string;
  /** `sending` is written before the hand-over: found on a retry, the earlier attempt's outcome is unknown. */
  status: 'sending' | 'sent' | 'refused' | 'unsent';
  reason?: string;
  rejected?: string[];
}

export interface SentLog {
  get(messageId: string): SentEntry | undefined;
  add(entry: SentEntry): void;
}

/** An in-memory log, for one process's lifetime (rehearsals and tests). */
export function createMemorySentLog(): SentLog {
  const entries = new Map<string, SentEntry>();
  return { get: (id) => entries.get(id), add: (e) => void entries.set(e.messageId, e) };
}

/** A log kept as JSON lines in a file, written synchronously before the activity moves on. */
export function createFileSentLog(file: string): SentLog {
  const entries = new Map<string, SentEntry>();
  mkdirSync(dirname(file), { recursive: true });
  if (existsSync(file)) {
    const text = readFileSync(file, 'utf8');
    // A crash may have cut the last line short: end it, so the next entry starts on a line of its own.
    if (text.length && !text.endsWith('\n')) appendFileSync(file, '\n');
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      try {
        const e = JSON.parse(line) as SentEntry;
        entries.set(e.messageId, e);
      } catch {
        // A line cut short by a crash: the message it named is retried, the rest of the log stands.
      }
    }
  }
  return {
    get: (id) => entries.get(id),
    add(e) {
      appendFileSync(file, `${JSON.stringify(e)}\n`);
      entries.set(e.messageId, e);
    },
  };
}
