/** The connection to the system of record: one pool per process, migrated on open. */
import pg from 'pg';
import { migrate } from './migrate.js';

// Counts and sums come back as numbers, instants as Date (timestamptz), dates as their text.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));
pg.types.setTypeParser(pg.types.builtins.NUMERIC, (v) => Number(v));
pg.types.setTypeParser(pg.types.builtins.DATE, (v) => v);

/** The database could not be reached or migrated; the message says which and why. */
export class StoreError extends Error {
  readonly code = 'ESTORE';
}

export interface Store {
  pool: pg.Pool;
  /** Closes the pool. */
  close(): Promise<void>;
}

/**
 * Opens a pool on `url` (any PostgreSQL 13+; TLS settings such as `sslmode` and `sslrootcert` are read from the URL,
 * as libpq does) and applies pending migrations.
 */
export async function openStore(url: string, options: { max?: number; migrate?: boolean } = {}): Promise<Store> {
  const pool = new pg.Pool({ connectionString: url, max: options.max ?? 10, connectionTimeoutMillis: 10_000 });
  pool.on('error', () => {}); // an idle client that lost its server: the next query reconnects
  try {
    if (options.migrate !== false) await migrate(pool);
    else await pool.query('SELECT 1');
  } catch (err) {
    await pool.end().catch(() => {});
    throw new StoreError(`cannot use the database at ${redact(url)}: ${(err as Error).message}`);
  }
  return { pool, close: () => pool.end() };
}

/** The URL without its password, for messages. */
export function redact(url: string): string {
  return url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');
}
