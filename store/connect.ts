/** The system of record a process uses: REVIEW_CYCLES_DATABASE_URL when set, else the data folder's embedded server. */
import { startEmbeddedPostgres, type EmbeddedPostgres } from './embedded.js';
import { openStore, type Store } from './pool.js';

export interface StoreSettings {
  /** Any PostgreSQL 13+ (REVIEW_CYCLES_DATABASE_URL); without it, the embedded server of `dataDir`. */
  databaseUrl?: string;
  dataDir: string;
  /** Port of the embedded server (REVIEW_CYCLES_POSTGRES_PORT). */
  postgresPort: number;
  /** Pool size (default 10). */
  max?: number;
}

export interface ConnectedStore extends Store {
  /** The embedded server, when one is used. */
  embedded?: EmbeddedPostgres;
  url: string;
}

/** Opens (and migrates) the configured database, starting the embedded one if needed; close() stops what it started. */
export async function connectStore(settings: StoreSettings): Promise<ConnectedStore> {
  const embedded = settings.databaseUrl ? undefined : await startEmbeddedPostgres({ dataDir: settings.dataDir, port: settings.postgresPort });
  const url = settings.databaseUrl ?? embedded!.url;
  let store: Store;
  try {
    store = await openStore(url, { max: settings.max });
  } catch (err) {
    await embedded?.stop();
    throw err;
  }
  return {
    ...store,
    url,
    embedded,
    async close() {
      await store.close();
      await embedded?.stop();
    },
  };
}
