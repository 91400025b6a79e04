/**
 * The local Temporal dev server from the project's pinned `temporal` CLI, persisted to SQLite in the data folder so
 * that a restart loses nothing. Used by `npm start` and by the tests that need a real server.
 */
import { Connection } from '@temporalio/client';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { temporalCliPath } from './temporal-binaries.js';

/** The loopback address the dev server binds to. */
export const DEV_SERVER_HOST = '127.0.0.1';

export interface DevServerOptions {
  /** The folder of `temporal.sqlite` (created if missing). */
  dataDir: string;
  /** Front-end gRPC port. */
  port: number;
  /** Web UI port (ignored when headless). */
  uiPort: number;
  /** No Web UI. */
  headless?: boolean;
  /** How long to wait for the server to answer (default 60 s). */
  readyTimeoutMs?: number;
  /** The `temporal` CLI (default: $TEMPORAL_CLI_PATH, .temporal/py/bin/temporal, PATH). */
  cliPath?: string;
  /**
   * Run the server in its own process group (default true), so that a Ctrl-C in the terminal reaches only this
   * process, which stops the server after its worker has drained. Tests pass false: a Ctrl-C of the test run then
   * stops the server as well.
   */
  ownProcessGroup?: boolean;
  /** Dynamic configuration of the server, each as `--dynamic-config-value KEY=<value as JSON>` (e.g. `{ 'a.b': '5s' }`). */
  dynamicConfig?: Record<string, string | number | boolean>;
}

export interface DevServer {
  /** `127.0.0.1:<port>`, for TEMPORAL_ADDRESS. */
  address: string;
  /** `http://127.0.0.1:<uiPort>`, or null when headless. */
  uiUrl: string | null;
  /** The SQLite file the server persists to. */
  dbFile: string;
  pid: number;
  /** Sends SIGTERM and waits for the server to exit (SIGKILL after `graceMs`, default 15 s). Safe to call twice. */
  stop(graceMs?: number): Promise<void>;
  /** Resolves when the server process has exited, with its exit code or signal. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** A port another process already listens on. */
export class PortInUseError extends Error {
  readonly code = 'EPORTINUSE';
  constructor(
    readonly port: number,
    readonly role: string,
  ) {
    super(`port ${port} (${role}) is already in use on ${DEV_SERVER_HOST}`);
  }
}

/** The dev server did not start, or did not answer in time. */
export class DevServerError extends Error {
  readonly code = 'EDEVSERVER';
}

/** Fails with a PortInUseError when something listens on `port` at `host`. */
export async function assertPortFree(port: number, role: string, host = DEV_SERVER_HOST): Promise<void> {
  await new Promise<void>((ok, fail) => {
    const server = createServer();
    server.unref();
    server.once('error', (err: NodeJS.ErrnoException) => {
      fail(err.code === 'EADDRINUSE' || err.code === 'EACCES' ? new PortInUseError(port, role) : err);
    });
    server.listen({ port, host, exclusive: true }, () => server.close(() => ok()));
  });
}

/** `count` distinct ports that were free a moment ago on `host` (held together while they are picked, so they differ). */
export async function freePorts(count: number, host = DEV_SERVER_HOST): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<ReturnType<typeof createServer>>((ok, fail) => {
          const server = createServer();
          server.unref();
          server.once('error', fail);
          server.listen({ port: 0, host, exclusive: true }, () => ok(server));
        }),
    ),
  );
  const ports = servers.map((s) => (s.address() as AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise<void>((ok) => s.close(() => ok()))));
  return ports;
}

/** A port that was free a moment ago on `host`. */
export async function freePort(host = DEV_SERVER_HOST): Promise<number> {
  return (await freePorts(1, host))[0];
}

/** Keeps the last `max` characters of a stream, for error messages. */
function tail(max = 4000) {
  let text = '';
  return {
    add(chunk: Buffer | string) {
      text = (text + chunk.toString()).slice(-max);
    },
    get text() {
      return text.trim();
    },
  };
}

const sleep = (ms: number) => new Promise((ok) => setTimeout(ok, ms));

/** Environment for the child: Temporal client settings of ours must not steer the server. */
function serverEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('TEMPORAL_')));
}

/**
 * What the engine sets on every dev server it starts (the embedded default, tests, benchmarks, the fault suite):
 * Temporal refuses an Update to a workflow that already has 10 in flight, and a group workflow takes the reports of
 * up to 100 unit-tasks, all of which may be submitted in the last minutes before a deadline. `options.dynamicConfig`
 * overrides it. A cluster sets the same key in its dynamic configuration (docs/DEPLOY.md).
 */
export const ENGINE_DYNAMIC_CONFIG: Readonly<Record<string, number>> = { 'history.maxInFlightUpdates': 100 };

/**
 * Starts `temporal server start-dev` on 127.0.0.1 with its state in `<dataDir>/temporal.sqlite`, and resolves once
 * the server answers gRPC calls on the default namespace.
 */
export async function startDevServer(options: DevServerOptions): Promise<DevServer> {
  const { port, uiPort, headless = false, readyTimeoutMs = 60_000, ownProcessGroup = true } = options;
  const cli = options.cliPath ?? temporalCliPath();
  await assertPortFree(port, 'Temporal gRPC');
  if (!headless) {
    if (uiPort === port) throw new DevServerError(`the Web UI port must differ from the gRPC port (both ${port})`);
    await assertPortFree(uiPort, 'Temporal Web UI');
  }
  const dataDir = resolve(options.dataDir);
  mkdirSync(dataDir, { recursive: true });
  const dbFile = join(dataDir, 'temporal.sqlite');
  const address = `${DEV_SERVER_HOST}:${port}`;
  const args = [
    'server', 'start-dev',
    '--db-filename', dbFile,
    '--ip', DEV_SERVER_HOST,
    '--port', String(port),
    '--namespace', 'default',
    '--log-level', 'error',
    ...(headless ? ['--headless'] : ['--ui-port', String(uiPort), '--ui-disable-news-fetch']),
    ...Object.entries({ ...ENGINE_DYNAMIC_CONFIG, ...options.dynamicConfig }).flatMap(([key, value]) => ['--dynamic-config-value', `${key}=${JSON.stringify(value)}`]),
  ];

  const output = tail();
  const child: ChildProcess = spawn(cli, args, { env: serverEnv(), stdio: ['ignore', 'pipe', 'pipe'], detached: ownProcessGroup });
  child.stdout!.on('data', output.add);
  child.stderr!.on('data', output.add);
  let exitInfo: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((ok) => {
    child.once('exit', (code, signal) => {
      exitInfo = { code, signal };
      ok(exitInfo);
    });
  });
  const spawnFailed = new Promise<Error>((ok) => child.once('error', ok));
  // Never leave an orphaned server behind when this process exits without stopping it.
  const killOnExit = () => {
    if (!exitInfo) child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);

  let stopping: Promise<void> | undefined;
  const stop = (graceMs = 15_000): Promise<void> =>
    (stopping ??= (async () => {
      if (!exitInfo && child.pid !== undefined) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
        await exited;
        clearTimeout(timer);
      }
      process.off('exit', killOnExit);
    })());

  try {
    await waitUntilReady(address, readyTimeoutMs, () => exitInfo, spawnFailed, output);
  } catch (err) {
    await stop(2_000);
    throw err;
  }
  return { address, uiUrl: headless ? null : `http://${DEV_SERVER_HOST}:${uiPort}`, dbFile, pid: child.pid!, stop, exited };
}

async function waitUntilReady(
  address: string,
  timeoutMs: number,
  exitInfo: () => { code: number | null; signal: NodeJS.Signals | null } | undefined,
  spawnFailed: Promise<Error>,
  output: ReturnType<typeof tail>,
): Promise<void> {
  let spawnError: Error | undefined;
  void spawnFailed.then((err) => (spawnError = err));
  const deadline = Date.now() + timeoutMs;
  const withOutput = (message: string) => (output.text ? `${message}; its output ended with:\n${output.text}` : message);
  let lastError = '';
  for (;;) {
    if (spawnError) throw new DevServerError(`cannot run the Temporal CLI: ${spawnError.message}`);
    const exit = exitInfo();
    if (exit) {
      throw new DevServerError(withOutput(`the Temporal dev server exited during start-up (${exit.signal ?? `exit code ${exit.code}`})`));
    }
    if (Date.now() > deadline) {
      throw new DevServerError(withOutput(`the Temporal dev server did not answer on ${address} within ${Math.round(timeoutMs / 1000)} s (${lastError})`));
    }
    let connection: Connection | undefined;
    try {
      connection = await Connection.connect({ address, connectTimeout: 1_000 });
      await connection.workflowService.getSystemInfo({});
      await connection.workflowService.describeNamespace({ namespace: 'default' });
      return;
    } catch (err) {
      lastError = (err as Error).message;
      await sleep(250);
    } finally {
      await connection?.close().catch(() => {});
    }
  }
}
