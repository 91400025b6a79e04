/**
 * Part 2: mail throughput of the real `sendNotices` activity function, called directly, over one pooled SMTP
 * transport (createSmtpMailer) to an in-process SMTP server, with the file sent log a worker uses.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createActivities, createSmtpMailer } from '../../activities/index.js';
import { freePorts } from '../../client/dev-server.js';
import { createDbSentLog, openStore, temporaryEmbeddedPostgres } from '../../store/index.js';
import type { NoticeBatch, NoticeSpec } from '../../workflows/contract/notice.js';
import { startCountingSink } from './smtp-sink.js';
import { now, round } from './stats.js';

export interface MailFigures {
  mode: string;
  notices: number;
  batchSize: number;
  batchesAtOnce: number;
  wallMs: number;
  perSecond: number;
  received: number;
  kiBPerMessage: number;
}

/** `total` distinct request notices of one quarter. */
function notices(run: string, total: number): NoticeSpec[] {
  return Array.from({ length: total }, (_, i) => ({
    key: { planId: `bench-mail-${run}`, taskId: `task-${Math.floor(i / 3) + 1}`, unitId: `unit-${(i % 30) + 1}`, period: '2027-Q1', kind: 'request', number: 1 },
    at: '2027-03-21T01:00:00.000Z',
    to: [`unit-${(i % 30) + 1}@example.org`],
    cc: [],
    locale: 'en',
    timezone: 'Asia/Shanghai',
    planTitle: 'Generated plan: 200 tasks x 3 units x 3 years',
    taskTitle: `Task ${Math.floor(i / 3) + 1}`,
    unitName: `Unit ${(i % 30) + 1}`,
    dueDay: '2027-04-05',
    deadline: '2027-04-05T16:00:00.000Z',
    next: { kind: 'reminder', at: '2027-04-02T01:00:00.000Z', to: 'unit' },
  }));
}

/**
 * Sends `total` notices in batches of `batchSize`, `atOnce` batches in flight at a time (1: one group's batches one
 * after another, as one workflow sends them; more: several groups acting at the same instant).
 */
export async function mailThroughput(total: number, batchSize: number, atOnce: number): Promise<MailFigures> {
  const sink = await startCountingSink();
  const dir = mkdtempSync(join(tmpdir(), 'rc-bench-mail-'));
  const mailer = createSmtpMailer(sink.url);
  // The sent log every worker shares, in a real (temporary) PostgreSQL: each batch is claimed in one round trip,
  // each outcome written after its hand-over.
  const pg = await temporaryEmbeddedPostgres((await freePorts(1))[0]);
  const store = await openStore(pg.url);
  try {
    const { sendNotices } = createActivities({
      mailer,
      sentLog: createDbSentLog(store.pool),
      db: store.pool,
      from: 'bench@review-cycles.invalid',
      documentsDir: () => dir,
    });
    // Warm-up: open the pooled connections and load the renderer before the clock starts.
    await Promise.all(Array.from({ length: atOnce }, (_, k) => sendNotices({ at: '2027-03-21T01:00:00.000Z', notices: notices(`warm-${atOnce}-${k}`, 20) })));
    const before = sink.messages;
    const beforeBytes = sink.bytes;
    const all = notices(`run-${atOnce}-${Date.now()}`, total);
    const batches: NoticeBatch[] = [];
    for (let i = 0; i < all.length; i += batchSize) batches.push({ at: all[i].at, notices: all.slice(i, i + batchSize) });
    const t0 = now();
    let next = 0;
    let sent = 0;
    await Promise.all(
      Array.from({ length: atOnce }, async () => {
        while (next < batches.length) {
          const outcomes = await sendNotices(batches[next++]);
          sent += outcomes.filter((o) => o.status === 'sent').length;
        }
      }),
    );
    const wallMs = now() - t0;
    if (sent !== total) throw new Error(`mail bench: ${sent} of ${total} notices sent`);
    // The server acknowledges DATA before this side resolves, so every message has been counted by now.
    const received = sink.messages - before;
    return {
      mode: atOnce === 1 ? 'batches one after another' : `${atOnce} batches at once`,
      notices: total,
      batchSize,
      batchesAtOnce: atOnce,
      wallMs: round(wallMs, 0),
      perSecond: round((total / wallMs) * 1000, 0),
      received,
      kiBPerMessage: round((sink.bytes - beforeBytes) / Math.max(1, received) / 1024, 1),
    };
  } finally {
    await mailer.close();
    await sink.close();
    await store.close();
    await pg.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
