/**
 * `npm start`: everything on one machine. Without Temporal settings in the environment (no TEMPORAL_ADDRESS, no
 * TEMPORAL_PROFILE) it runs the local Temporal dev server, persisted under REVIEW_CYCLES_DATA_DIR; otherwise it uses
 * the configured server. Then it runs a worker in this process, starts the plan (REVIEW_CYCLES_PLAN, default the
 * demo plan) once, prints where everything is and keeps running until Ctrl-C.
 */
import { Client } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { buildWorker, type BuiltWorker } from '../worker/build.js';
import { ConfigError, loadWorkerConfig, type WorkerConfig } from '../worker/config.js';
import { temporalTarget } from '../worker/connection.js';
import { installRuntime } from '../worker/runtime.js';
import { DevServerError, PortInUseError, startDevServer, type DevServer } from './dev-server.js';
import { loadPlanFile } from './plan-file.js';
import { startPlan, UserError } from './plans.js';
import { MissingBinaryError } from './temporal-binaries.js';

export const DEFAULT_PLAN_FILE = fileURLToPath(new URL('../examples/demo-plan.yaml', import.meta.url));
export const DEFAULT_TEMPORAL_PORT = 7233;
export const DEFAULT_TEMPORAL_UI_PORT = 8233;

const PORT_VARIABLES: Record<string, string> = {
  'Temporal gRPC': 'REVIEW_CYCLES_TEMPORAL_PORT',
  'Temporal Web UI': 'REVIEW_CYCLES_TEMPORAL_UI_PORT',
};

export interface StartConfig {
  worker: WorkerConfig;
  /** Run the embedded dev server (no TEMPORAL_ADDRESS / TEMPORAL_PROFILE in the environment). */
  embedded: boolean;
  port: number;
  uiPort: number;
  planFile: string;
}

/** Reads every setting of `npm start`; a ConfigError names each bad variable and its rule. */
export function loadStartConfig(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): StartConfig {
  const problems: string[] = [];
  let worker: WorkerConfig | undefined;
  try {
    worker = loadWorkerConfig(env, cwd);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    problems.push(...err.message.split('\n').slice(1).map((l) => l.trim()));
  }
  const port = (name: string, fallback: number): number => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const n = Number(raw);
    if (!/^\d+$/.test(raw.trim()) || !Number.isInteger(n) || n < 1 || n > 65535) {
      problems.push(`${name}=${JSON.stringify(raw)}: must be a port number from 1 to 65535`);
    }
    return n;
  };
  const temporalPort = port('REVIEW_CYCLES_TEMPORAL_PORT', DEFAULT_TEMPORAL_PORT);
  const uiPort = port('REVIEW_CYCLES_TEMPORAL_UI_PORT', DEFAULT_TEMPORAL_UI_PORT);
  const embedded = !env.TEMPORAL_ADDRESS && !env.TEMPORAL_PROFILE;
  if (embedded && problems.length === 0 && temporalPort === uiPort) {
    problems.push(`REVIEW_CYCLES_TEMPORAL_UI_PORT=${JSON.stringify(env.REVIEW_CYCLES_TEMPORAL_UI_PORT ?? String(uiPort))}: must differ from REVIEW_CYCLES_TEMPORAL_PORT (${temporalPort})`);
  }
  if (problems.length) throw new ConfigError(`invalid configuration:\n  ${problems.join('\n  ')}`);
  return {
    worker: worker!,
    embedded,
    port: temporalPort,
    uiPort,
    planFile: env.REVIEW_CYCLES_PLAN ? resolve(cwd, env.REVIEW_CYCLES_PLAN) : DEFAULT_PLAN_FILE,
  };
}

/** An SMTP URL without its password, for printing. */
function redact(url: string): string {
  return url.replace(/^(smtps?:\/\/[^:@/]*):[^@/]*@/, '$1:***@');
}

const out = (line: string) => process.stdout.write(`${line}\n`);
const note = (line: string) => process.stderr.write(`${line}\n`);

/** Runs until SIGINT or SIGTERM; resolves with the exit code. */
export async function main(env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const config = loadStartConfig(env);
  const loaded = await loadPlanFile(config.planFile);
  if (!loaded.ok) {
    const which = env.REVIEW_CYCLES_PLAN ? `REVIEW_CYCLES_PLAN=${JSON.stringify(env.REVIEW_CYCLES_PLAN)}` : 'the demo plan';
    throw new UserError(`${which}: the plan is invalid:\n${loaded.errors.join('\n')}`, 'EPLAN');
  }
  const plan = loaded.plan;
  installRuntime();

  // The first SIGINT/SIGTERM shuts down in order (worker, then server); a second one, a moment later, stops at once.
  // (Within a second it is the same Ctrl-C relayed by a parent such as npm or tsx, and is ignored.)
  let stopRequested = false;
  let firstSignalAt = 0;
  let server: DevServer | undefined;
  let built: BuiltWorker | undefined;
  let wakeUp = () => {};
  const stopSignal = new Promise<void>((ok) => (wakeUp = ok));
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopRequested) {
      if (Date.now() - firstSignalAt < 1_000) return;
      note(`review-cycles: ${signal} again: stopping at once`);
      if (server) process.kill(server.pid, 'SIGKILL');
      process.exit(130);
    }
    stopRequested = true;
    firstSignalAt = Date.now();
    note(`review-cycles: ${signal}: shutting down (the worker finishes its current tasks, then the Temporal server stops)`);
    if (built?.worker.getState() === 'RUNNING') built.worker.shutdown();
    wakeUp();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  let connection: NativeConnection | undefined;
  let running: Promise<void> | undefined;
  try {
    if (config.embedded) {
      note(`starting the Temporal dev server (data in ${config.worker.dataDir}) ...`);
      try {
        server = await startDevServer({ dataDir: config.worker.dataDir, port: config.port, uiPort: config.uiPort });
      } catch (err) {
        if (err instanceof PortInUseError) {
          throw new UserError(
            `${err.message}: stop the program that uses it (perhaps another "npm start"), or choose another port with ${PORT_VARIABLES[err.role] ?? 'its variable'}`,
            'EPORTINUSE',
          );
        }
        throw err;
      }
    }
    if (stopRequested) return 0;
    const target = temporalTarget(server ? { address: server.address } : {});
    try {
      connection = await NativeConnection.connect(target.connectionOptions);
    } catch (err) {
      throw new UserError(
        `cannot reach Temporal at ${target.address} (namespace ${target.namespace}): ${(err as Error).message}. ` +
          'Check TEMPORAL_ADDRESS / TEMPORAL_PROFILE, or unset them to run the local dev server.',
        'ENOTEMPORAL',
      );
    }
    if (stopRequested) return 0;
    note(`preparing the worker on task queue ${config.worker.taskQueue} ...`);
    built = await buildWorker(connection, target.namespace, config.worker);
    if (stopRequested) return 0;
    const worker = built.worker;
    running = worker.run();
    // A worker that fails, or a dev server that dies, ends the run with an error.
    let failure: Error | undefined;
    const ended = running.catch((err: Error) => {
      failure = err;
    });
    void server?.exited.then(({ code: c, signal }) => {
      if (stopRequested) return;
      failure ??= new DevServerError(`the Temporal dev server stopped unexpectedly (${signal ?? `exit code ${c}`})`);
      if (worker.getState() === 'RUNNING') worker.shutdown();
      wakeUp();
    });

    const client = new Client({ connection, namespace: target.namespace });
    const outcome = await startPlan(client, plan, config.worker.taskQueue);
    out(`temporal: ${target.address}`);
    out(`temporal-ui: ${server?.uiUrl ?? `none started here (the Temporal server at ${target.address} is external: use its own Web UI)`}`);
    out(`outbox: ${config.worker.smtpUrl ? redact(config.worker.smtpUrl) : config.worker.outboxDir}`);
    out(
      outcome.started
        ? `plan: started plan ${plan.id} (workflow ${outcome.workflowId})`
        : `plan: plan ${plan.id} is already ${outcome.state === 'RUNNING' ? 'running: resumed' : `started (${outcome.state.toLowerCase()})`} (workflow ${outcome.workflowId})`,
    );
    note('running; press Ctrl-C to stop');

    await Promise.race([ended, stopSignal]);
    if (worker.getState() === 'RUNNING') worker.shutdown();
    await ended;
    if (failure) throw failure;
    return 0;
  } catch (err) {
    if (built && running) {
      if (built.worker.getState() === 'RUNNING') built.worker.shutdown();
      await running.catch(() => {});
    }
    throw err;
  } finally {
    await built?.mailer.close().catch(() => {});
    await connection?.close().catch(() => {});
    if (server) {
      note('stopping the Temporal dev server ...');
      await server.stop();
    }
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href;
if (isMain) {
  main()
    .then((code) => {
      note(code === 0 ? 'stopped' : `stopped with code ${code}`);
      process.exit(code);
    })
    .catch((err: unknown) => {
      const known =
        err instanceof ConfigError || err instanceof UserError || err instanceof MissingBinaryError || err instanceof DevServerError;
      process.stderr.write(`review-cycles: ${known ? (err as Error).message : ((err as Error).stack ?? String(err))}\n`);
      process.exit(1);
    });
}
