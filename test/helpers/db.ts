/** Databases for tests: each a fresh copy of the run's migrated template, on the shared embedded PostgreSQL. */
import pg from 'pg';
import { inject } from 'vitest';

let counter = 0;
const pools: pg.Pool[] = [];

/** The URL of a new, empty, migrated database. */
export async function freshDatabaseUrl(): Promise<string> {
  const template = inject('postgresUrl');
  const name = `t_${process.pid}_${++counter}_${Date.now() % 100000}`;
  const admin = new pg.Client({ connectionString: template.replace(/\/rc_template$/, '/postgres') });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name} TEMPLATE rc_template`);
  } finally {
    await admin.end();
  }
  return template.replace(/\/rc_template$/, `/${name}`);
}

/** A pool on a new, migrated database, closed when the test file's process ends. */
export async function testDb(): Promise<pg.Pool> {
  const pool = new pg.Pool({ connectionString: await freshDatabaseUrl(), max: 10 });
  pool.on('error', () => {});
  pools.push(pool);
  return pool;
}

let shared: Promise<pg.Pool> | undefined;
/** One database for the whole test file (for tests that only need somewhere to write). */
export function fileDb(): Promise<pg.Pool> {
  return (shared ??= testDb());
}
