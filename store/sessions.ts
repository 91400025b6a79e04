/** Headquarters' sign-in sessions: opened at sign-in, touched on each use, deleted at sign-out. */
import type pg from 'pg';

/** Records a new session (and drops those already past their expiry). */
export async function openHqSession(pool: pg.Pool, id: string, at: Date, expiresAt: Date): Promise<void> {
  await pool.query(
    `WITH gone AS (DELETE FROM hq_sessions WHERE expires_at <= $2)
     INSERT INTO hq_sessions (id, created_at, last_used_at, expires_at) VALUES ($1, $2, $2, $3)`,
    [id, at, expiresAt],
  );
}

/** True, and marks it used at `at`, when the session exists, has not expired and was last used after `idleSince`. */
export async function useHqSession(pool: pg.Pool, id: string, at: Date, idleSince: Date): Promise<boolean> {
  const { rowCount } = await pool.query(
    `UPDATE hq_sessions SET last_used_at = GREATEST(last_used_at, $2)
     WHERE id = $1 AND expires_at > $2 AND last_used_at > $3`,
    [id, at, idleSince],
  );
  return rowCount === 1;
}

/** Ends a session; ending one that is gone already is no error. */
export async function closeHqSession(pool: pg.Pool, id: string): Promise<void> {
  await pool.query('DELETE FROM hq_sessions WHERE id = $1', [id]);
}
