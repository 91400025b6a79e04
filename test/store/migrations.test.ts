/**
 * Migrations of the system of record: applied once each, in order, in one transaction, under an advisory lock; a
 * database of an older release is brought forward keeping its data; one of a newer release is refused.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, expect, inject, test } from 'vitest';
import { migrate, migrationsIn, type Migration } from '../../store/migrate.js';
import { createDbSentLog, storedNotices } from '../../store/notices.js';
import { openStore, StoreError } from '../../store/pool.js';
import { recordPlan, recordProgress, storedPlan, storedRecords, storedRevisions } from '../../store/records.js';
import { layoutOf } from '../../workflows/cycle/layout.js';
import type { UnitPeriodRecord } from '../../workflows/contract/status.js';
import { yearPlan } from '../fixtures/plans.js';

// The run's server (see test/helpers/global-setup.ts); empty databases are made through its `postgres` database.
const serverUrl = (database: string) => inject('postgresUrl').replace(/\/rc_template$/, `/${database}`);
let counter = 0;
const pools: pg.Pool[] = [];

/** A new database with no tables at all (a copy of template0, not of the migrated rc_template). */
async function emptyDatabase(): Promise<string> {
  const name = `m_${process.pid}_${++counter}_${Date.now() % 100000}`;
  const admin = new pg.Client({ connectionString: serverUrl('postgres') });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name} TEMPLATE template0`);
  } finally {
    await admin.end();
  }
  return serverUrl(name);
}
const poolOn = (url: string, max = 4) => {
  const pool = new pg.Pool({ connectionString: url, max });
  pool.on('error', () => {});
  pools.push(pool);
  return pool;
};
afterAll(async () => {
  await Promise.all(pools.map((p) => p.end().catch(() => {})));
});

const shipped = migrationsIn();
const newest = Math.max(...shipped.map((m) => m.version));
const tables = async (pool: pg.Pool) =>
  (await pool.query("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name")).rows.map((r) => r.table_name);
const applied = async (pool: pg.Pool) => (await pool.query('SELECT version, name FROM schema_migrations ORDER BY version')).rows;
/** Every column of every table, with its type and default: the schema, to compare two databases by. */
const schemaOf = async (pool: pg.Pool) =>
  (
    await pool.query(
      `SELECT table_name, column_name, data_type, is_nullable, column_default FROM information_schema.columns
       WHERE table_schema = 'public' ORDER BY table_name, column_name`,
    )
  ).rows;
const indexesOf = async (pool: pg.Pool) =>
  (await pool.query("SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY tablename, indexname")).rows;

test('the shipped migrations are numbered from 001 without gaps or repeats', () => {
  expect(shipped.length).toBeGreaterThanOrEqual(1);
  expect(shipped.map((m) => m.version)).toEqual(shipped.map((_, i) => i + 1));
  expect(shipped[0]).toMatchObject({ version: 1, name: 'system_of_record' });
});

test('an empty database gets every migration, recorded in schema_migrations; running again applies nothing', async () => {
  const pool = poolOn(await emptyDatabase());
  expect(await tables(pool)).toEqual([]);
  expect(await migrate(pool)).toEqual(shipped.map((m) => m.version));
  expect(await applied(pool)).toEqual(shipped.map((m) => ({ version: m.version, name: m.name })));
  expect(await tables(pool)).toEqual(
    expect.arrayContaining(['notices', 'plan_versions', 'plans', 'report_decisions', 'report_records', 'report_revisions', 'reviews', 'schema_migrations']),
  );
  const schema = await schemaOf(pool);
  expect(await migrate(pool)).toEqual([]);
  expect(await migrate(pool)).toEqual([]);
  expect(await applied(pool)).toHaveLength(shipped.length);
  expect(await schemaOf(pool)).toEqual(schema);
  // openStore migrates too, and finds nothing to do either.
  const store = await openStore(serverUrl(new URL(pool.options.connectionString!).pathname.slice(1)));
  await store.close();
  expect(await applied(pool)).toHaveLength(shipped.length);
});

test('five pools migrating one empty database at once all succeed; the migrations are applied exactly once', async () => {
  const url = await emptyDatabase();
  const five = Array.from({ length: 5 }, () => poolOn(url, 2));
  const results = await Promise.all(five.map((p) => migrate(p)));
  // One of them applied everything; the others waited on the lock and then found nothing to do.
  expect(results.filter((r) => r.length > 0)).toEqual([shipped.map((m) => m.version)]);
  expect(results.flat().sort((a, b) => a - b)).toEqual(shipped.map((m) => m.version));
  expect(await applied(five[0])).toHaveLength(shipped.length);
  // And five workers opening their stores at once (what a fleet's restart does) succeed too.
  const stores = await Promise.all(Array.from({ length: 5 }, () => openStore(url, { max: 2 })));
  await Promise.all(stores.map((s) => s.close()));
});

const record = (over: Partial<UnitPeriodRecord> = {}): UnitPeriodRecord => ({
  requestedAt: Date.parse('2030-03-21T01:00:00Z'),
  reminders: 1,
  escalations: 0,
  revisions: [{ requestId: 'r1', arrivedAt: Date.parse('2030-03-22T04:00:00Z'), status: 'on-track', summary: 'Done.', progress: 10 }],
  deliveryIssues: [],
  submittedAt: Date.parse('2030-03-22T04:00:00Z'),
  daysLate: 0,
  sent: [{ kind: 'request', number: 1, round: 0, at: Date.parse('2030-03-21T01:00:00Z') }],
  ...over,
});

/** Writes a plan, a record with a revision, and a notice, as the release of migration 001 does. */
async function writeRelease1Data(pool: pg.Pool) {
  const plan = yearPlan('old-2030');
  await recordPlan(pool, { planId: plan.id, version: 1, plan, startedAt: Date.parse('2030-01-01T00:00:00Z'), layout: layoutOf(plan) });
  // The record and its revision as release 001's writer put them (today's writer also fills later migrations' columns).
  const r = record();
  await pool.query(
    `INSERT INTO report_records (plan_id, task_id, unit_id, period, aspect_id, change_count, record, requested_at, due_at, submitted_at,
       days_late, reminders, escalations, revisions, report_status, progress, review, awaiting, revision_due_at, round, escalated_round, delivery_issues)
     VALUES ($1, 't1', 'ontime', '2030-Q1', 'a', 3, $2, '2030-03-21T01:00:00Z', '2030-04-08T16:00:00Z', '2030-03-22T04:00:00Z',
       0, 1, 0, 1, 'on-track', 10, NULL, false, NULL, 0, false, 0)`,
    [plan.id, JSON.stringify(r)],
  );
  await pool.query(
    `INSERT INTO report_revisions (plan_id, task_id, unit_id, period, request_id, revision, arrived_at, status, summary, progress, problems, next_steps, submitted_by)
     VALUES ($1, 't1', 'ontime', '2030-Q1', 'r1', 1, '2030-03-22T04:00:00Z', 'on-track', 'Done, and here is the long story.', 10, NULL, NULL, 'Ms Zhang')`,
    [plan.id],
  );
  // The notice as release 001's sent log wrote it (today's log also writes the columns later migrations added).
  await pool.query(
    `INSERT INTO notices (message_id, plan_id, key_text, kind, task_id, unit_id, period, number, round, notice_at, recipients, subject, status, attempts)
     VALUES ('<rc.request.old@x>', $1, 'old-2030/t1/ontime/2030-Q1/request/1', 'request', 't1', 'ontime', '2030-Q1', 1, 0, '2030-03-21T01:00:00Z', $2, 'Request', 'sent', 1)`,
    [plan.id, JSON.stringify({ to: ['ontime@example.org'], cc: [] })],
  );
  return plan;
}

async function expectRelease1Data(pool: pg.Pool) {
  expect((await storedPlan(pool, 'old-2030'))?.plan.title).toBe('Year cycle 2030');
  expect(await storedRecords(pool, 'old-2030')).toEqual({ 't1|ontime|2030-Q1': record() });
  expect((await storedRevisions(pool, 'old-2030', 't1', 'ontime', '2030-Q1')).map((v) => [v.summary, v.submittedBy])).toEqual([['Done, and here is the long story.', 'Ms Zhang']]);
  expect((await storedNotices(pool, 'old-2030')).map((n) => [n.messageId, n.status])).toEqual([['<rc.request.old@x>', 'sent']]);
}

test('a database of the first release, with data, is brought to the newest schema and keeps its data', async () => {
  const pool = poolOn(await emptyDatabase());
  expect(await migrate(pool, shipped.filter((m) => m.version === 1))).toEqual([1]);
  await writeRelease1Data(pool);
  // This release: everything after 001 is applied, and the result is the schema of a fresh database.
  expect(await migrate(pool)).toEqual(shipped.filter((m) => m.version > 1).map((m) => m.version));
  expect((await applied(pool)).map((r) => r.version)).toEqual(shipped.map((m) => m.version));
  await expectRelease1Data(pool);
  const fresh = poolOn(await emptyDatabase());
  await migrate(fresh);
  expect(await schemaOf(pool)).toEqual(await schemaOf(fresh));
  expect(await indexesOf(pool)).toEqual(await indexesOf(fresh));
  // And the store's writers still work on it.
  await recordProgress(pool, {
    planId: 'old-2030',
    changes: [{ taskId: 't1', unitId: 'late', period: '2030-Q1', aspectId: 'a', deadline: Date.parse('2030-04-08T16:00:00Z'), record: record({ revisions: [] }), texts: [] }],
  });
  expect(Object.keys(await storedRecords(pool, 'old-2030'))).toHaveLength(2);
});

test('migration 010 reads the withdrawn and extended flags of the records written before it', async () => {
  const pool = poolOn(await emptyDatabase());
  await migrate(pool, shipped.filter((m) => m.version < 10));
  const plan = await writeRelease1Data(pool);
  const insert = (unitId: string, r: UnitPeriodRecord) =>
    pool.query(
      `INSERT INTO report_records (plan_id, task_id, unit_id, period, aspect_id, change_count, record, requested_at, due_at, submitted_at,
         days_late, reminders, escalations, revisions, report_status, progress, review, awaiting, revision_due_at, round, escalated_round, delivery_issues)
       VALUES ($1, 't1', $2, '2030-Q1', 'a', 1, $3, '2030-03-21T01:00:00Z', '2030-04-08T16:00:00Z', NULL, NULL, 0, 0, 0, NULL, NULL, NULL, false, NULL, 0, false, 0)`,
      [plan.id, unitId, JSON.stringify(r)],
    );
  await insert('gone', record({ revisions: [], submittedAt: undefined, daysLate: undefined, withdrawnAt: Date.parse('2030-03-25T00:00:00Z') }));
  await insert('later', record({ revisions: [], submittedAt: undefined, daysLate: undefined }));
  await insert('revised', record({ revisions: [], submittedAt: undefined, daysLate: undefined }));
  const extension = (unitId: string, round: number) =>
    pool.query(
      `INSERT INTO report_extensions (plan_id, task_id, unit_id, period, request_id, seq, extended_at, until_day, due_day, due_at, previous_due_day, round, reason)
       VALUES ($1, 't1', $2, '2030-Q1', 'x1', 1, '2030-04-01T00:00:00Z', '2030-04-20', '2030-04-20', '2030-04-20T16:00:00Z', '2030-04-08', $3, 'flood')`,
      [plan.id, unitId, round],
    );
  await extension('later', 0);
  await extension('revised', 1);
  expect(await migrate(pool)).toEqual(shipped.filter((m) => m.version >= 10).map((m) => m.version));
  const { rows } = await pool.query('SELECT unit_id, withdrawn, quarter_extended FROM report_records ORDER BY unit_id');
  expect(rows).toEqual([
    { unit_id: 'gone', withdrawn: true, quarter_extended: false },
    { unit_id: 'later', withdrawn: false, quarter_extended: true },
    { unit_id: 'ontime', withdrawn: false, quarter_extended: false },
    { unit_id: 'revised', withdrawn: false, quarter_extended: false },
  ]);
  expect((await storedRecords(pool, plan.id))['t1|ontime|2030-Q1']).toEqual(record());
});

test('a later migration (here a made-up 002) is applied on top of 001 data, keeping it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rc-migrations-'));
  const next = newest + 1;
  const name = `${String(next).padStart(3, '0')}_notice_channel.sql`;
  writeFileSync(join(dir, name), "ALTER TABLE notices ADD COLUMN channel text NOT NULL DEFAULT 'email';\nCREATE INDEX notices_by_channel ON notices (channel);\n");
  const later: Migration[] = [...shipped, ...migrationsIn(dir)];
  expect(later.map((m) => m.version)).toEqual([...shipped.map((m) => m.version), next]);
  const pool = poolOn(await emptyDatabase());
  await migrate(pool, shipped.filter((m) => m.version === 1));
  await writeRelease1Data(pool);
  expect(await migrate(pool, later)).toEqual([...shipped.filter((m) => m.version > 1).map((m) => m.version), next]);
  await expectRelease1Data(pool);
  expect((await pool.query('SELECT channel FROM notices')).rows).toEqual([{ channel: 'email' }]);
  expect(await migrate(pool, later)).toEqual([]);
});

test('a migration that fails leaves the database as it was: nothing of it, nothing recorded', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rc-migrations-'));
  const next = newest + 1;
  writeFileSync(join(dir, `${String(next).padStart(3, '0')}_broken.sql`), 'CREATE TABLE half_done (id int);\nALTER TABLE no_such_table ADD COLUMN x int;\n');
  const pool = poolOn(await emptyDatabase());
  await migrate(pool);
  await expect(migrate(pool, [...shipped, ...migrationsIn(dir)])).rejects.toThrow(/no_such_table/);
  expect((await applied(pool)).map((r) => r.version)).toEqual(shipped.map((m) => m.version));
  expect(await tables(pool)).not.toContain('half_done');
});

test('a database whose schema is newer than this release is refused with a clear message, and left alone', async () => {
  const url = await emptyDatabase();
  const pool = poolOn(url);
  await migrate(pool);
  const future = newest + 1;
  await pool.query("INSERT INTO schema_migrations (version, name) VALUES ($1, 'from_a_later_release')", [future]);
  const before = await schemaOf(pool);
  await expect(migrate(pool)).rejects.toThrow(
    `the database schema is at version ${future}, newer than this release knows (${newest}): upgrade review-cycles`,
  );
  // Opening the store says which database (without its password) and why.
  const err = await openStore(url).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(StoreError);
  expect((err as StoreError).message).toMatch(new RegExp(`^cannot use the database at postgres://review_cycles:\\*\\*\\*@127\\.0\\.0\\.1:\\d+/m_\\w+: the database schema is at version ${future}, newer than this release knows \\(${newest}\\): upgrade review-cycles$`));
  expect((err as StoreError).message).not.toContain(new URL(url).password);
  expect(await schemaOf(pool)).toEqual(before);
  expect((await applied(pool)).map((r) => r.version)).toEqual([...shipped.map((m) => m.version), future]);
});
