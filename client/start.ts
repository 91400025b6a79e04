/**
 * `npm start`: everything on one machine. Without Temporal settings in the environment (no TEMPORAL_ADDRESS, no
 * TEMPORAL_PROFILE) it runs the local Temporal dev server, persisted under REVIEW_CYCLES_DATA_DIR; otherwise it uses
 * the configured server. Without REVIEW_CYCLES_SMTP_URL it runs the mail catcher (a real SMTP server in this process,
 * keeping every message in the outbox folder) and the worker sends to it. Then it runs the portal, a worker whose
 * notices carry links to that portal, starts the plan (REVIEW_CYCLES_PLAN, default the live demo plan generated
 * around today) once, prints where everything is and keeps running until Ctrl-C.
 */
import { Client, type Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { startMailCatcher, type MailCatcher } from '../activities/mail/catcher.js';
import { KeyringError, loadKeyring, type Keyring } from '../security/keyring.js';
import { linkMaker } from '../security/links.js';
import { buildWorker, type BuiltWorker } from '../worker/build.js';
import { ConfigError, loadWorkerConfig, type WorkerConfig } from '../worker/config.js';
import { temporalTarget } from '../worker/connection.js';
import { installRuntime } from '../worker/runtime.js';
import { connectTemporal } from './connection.js';
import { assertPortFree, DEV_SERVER_HOST, DevServerError, PortInUseError, startDevServer, type DevServer } from './dev-server.js';
import { liveDemoPlanFile } from './live-plan.js';
import { loadPlanFile } from './plan-file.js';
import { startPlan, UserError } from './plans.js';
import { connectStore, EmbeddedPostgresError, redact as redactUrl, StoreError, type ConnectedStore } from '../store/index.js';
import { ensureRetention, EMBEDDED_RETENTION_DAYS } from './retention.js';
import { createPortal } from './portal/server.js';
import { MissingBinaryError } from './temporal-binaries.js';

/** The fixed demo plan (examples/demo-plan.yaml, for 2027); `npm start` runs the live demo plan unless told otherwise. */
/** The example plan of the docs, started next to the live demo plan when REVIEW_CYCLES_PLAN is not set. */
export const DEFAULT_PLAN_FILE = fileURLToPath(new URL('../examples/demo-plan.yaml', import.meta.url));
export const DEFAULT_TEMPORAL_PORT = 7233;
export const DEFAULT_TEMPORAL_UI_PORT = 8233;
export const DEFAULT_PORTAL_PORT = 8080;
/** The shortest headquarters' credential accepted; a generated one has 24 characters. */
export const MIN_HQ_CREDENTIAL_LENGTH = 16;
/** 0: the mail catcher listens on any free port (only the worker of this process sends to it). */
export const DEFAULT_SMTP_CATCHER_PORT = 0;

const PORTAL_ROLE = 'portal';
const CATCHER_ROLE = 'mail catcher SMTP';

const PORT_VARIABLES: Record<string, string> = {
  'Temporal gRPC': 'REVIEW_CYCLES_TEMPORAL_PORT',
  'Temporal Web UI': 'REVIEW_CYCLES_TEMPORAL_UI_PORT',
  [PORTAL_ROLE]: 'REVIEW_CYCLES_PORTAL_PORT',
  [CATCHER_ROLE]: 'REVIEW_CYCLES_SMTP_CATCHER_PORT',
};

export interface StartConfig {
  worker: WorkerConfig;
  /** Run the embedded dev server (no TEMPORAL_ADDRESS / TEMPORAL_PROFILE in the environment). */
  embedded: boolean;
  port: number;
  uiPort: number;
  /** The portal listens on 127.0.0.1:<portalPort>. */
  portalPort: number;
  /** The address in the links of notices: REVIEW_CYCLES_PUBLIC_URL, else http://127.0.0.1:<portalPort>. */
  publicUrl: string;
  /** Run the mail catcher (no REVIEW_CYCLES_SMTP_URL). */
  catcher: boolean;
  /** 0 = any free port. */
  catcherPort: number;
  /** REVIEW_CYCLES_HQ_CREDENTIAL; else the one kept in `<dataDir>/hq-credential` (generated once). */
  hqCredential?: string;
  /** REVIEW_CYCLES_PLAN; undefined: the live demo plan, kept in `<dataDir>/live-plan.yaml`. */
  planFile?: string;
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
  const port = (name: string, fallback: number, min = 1): number => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const n = Number(raw);
    if (!/^\d+$/.test(raw.trim()) || !Number.isInteger(n) || n < min || n > 65535) {
      problems.push(`${name}=${JSON.stringify(raw)}: must be a port number from ${min} to 65535${min === 0 ? ' (0: any free port)' : ''}`);
    }
    return n;
  };
  const temporalPort = port('REVIEW_CYCLES_TEMPORAL_PORT', DEFAULT_TEMPORAL_PORT);
  const uiPort = port('REVIEW_CYCLES_TEMPORAL_UI_PORT', DEFAULT_TEMPORAL_UI_PORT);
  const portalPort = port('REVIEW_CYCLES_PORTAL_PORT', DEFAULT_PORTAL_PORT);
  const catcherPort = port('REVIEW_CYCLES_SMTP_CATCHER_PORT', DEFAULT_SMTP_CATCHER_PORT, 0);
  const embedded = !env.TEMPORAL_ADDRESS && !env.TEMPORAL_PROFILE;
  const catcher = !worker?.smtpUrl;
  const hqCredential = env.REVIEW_CYCLES_HQ_CREDENTIAL;
  if (hqCredential !== undefined && hqCredential !== '' && hqCredential.trim() === '') {
    problems.push('REVIEW_CYCLES_HQ_CREDENTIAL: must not be blank (leave it unset to have one generated)');
  } else if (hqCredential && hqCredential.length < MIN_HQ_CREDENTIAL_LENGTH) {
    // The value itself is not repeated: it is a password.
    problems.push(`REVIEW_CYCLES_HQ_CREDENTIAL: must be at least ${MIN_HQ_CREDENTIAL_LENGTH} characters long (got ${hqCredential.length}; leave it unset to have one generated)`);
  }
  if (problems.length === 0) {
    // Every port this process listens on must differ from the others (0 is any free port, so never the same).
    const ports: [string, number][] = [['REVIEW_CYCLES_PORTAL_PORT', portalPort]];
    if (embedded) ports.unshift(['REVIEW_CYCLES_TEMPORAL_PORT', temporalPort], ['REVIEW_CYCLES_TEMPORAL_UI_PORT', uiPort]);
    if (catcher && catcherPort !== 0) ports.push(['REVIEW_CYCLES_SMTP_CATCHER_PORT', catcherPort]);
    ports.forEach(([name, p], i) => {
      const earlier = ports.slice(0, i).find(([, q]) => q === p);
      if (earlier) problems.push(`${name}=${JSON.stringify(env[name] ?? String(p))}: must differ from ${earlier[0]} (${p})`);
    });
  }
  if (problems.length) throw new ConfigError(`invalid configuration:\n  ${problems.join('\n  ')}`);
  return {
    worker: worker!,
    embedded,
    port: temporalPort,
    uiPort,
    portalPort,
    publicUrl: worker!.publicUrl ?? `http://${DEV_SERVER_HOST}:${portalPort}`,
    catcher,
    catcherPort,
    hqCredential: hqCredential || undefined,
    planFile: env.REVIEW_CYCLES_PLAN ? resolve(cwd, env.REVIEW_CYCLES_PLAN) : undefined,
  };
}

/**
 * Headquarters' credential for the portal: the given one, else the one kept in `file`, generated on first use and
 * readable by the owner only. A kept one shorter than MIN_HQ_CREDENTIAL_LENGTH is a ConfigError.
 */
export function hqCredentialFrom(given: string | undefined, file: string): { credential: string; fromEnv: boolean } {
  if (given) return { credential: given, fromEnv: true };
  if (existsSync(file)) {
    const kept = readFileSync(file, 'utf8').trim();
    if (kept && kept.length < MIN_HQ_CREDENTIAL_LENGTH) {
      throw new ConfigError(`invalid configuration:\n  ${file}: the credential kept there must be at least ${MIN_HQ_CREDENTIAL_LENGTH} characters long (delete the file to have one generated)`);
    }
    if (kept) return { credential: kept, fromEnv: false };
  }
  const credential = randomBytes(18).toString('base64url');
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${credential}\n`, { mode: 0o600 });
  return { credential, fromEnv: false };
}

/** An SMTP URL without its password, for printing. */
function redact(url: string): string {
  return url.replace(/^(smtps?:\/\/[^:@/]*):[^@/]*@/, '$1:***@');
}

/** A port another program holds: the error that names the port and the variable that moves it. */
function portInUse(err: PortInUseError): UserError {
  return new UserError(
    `${err.message}: stop the program that uses it (perhaps another "npm start"), or choose another port with ${PORT_VARIABLES[err.role] ?? 'its variable'}`,
    'EPORTINUSE',
  );
}

/** Listening failed because the port was taken (between the check and the listen). */
const isAddressInUse = (err: unknown) => (err as NodeJS.ErrnoException | undefined)?.code === 'EADDRINUSE';

/** The `plan:` line of a start: started, or already running (resumed). */
function planLine(planId: string, o: Awaited<ReturnType<typeof startPlan>>): string {
  if (o.started) return `plan: started plan ${planId} (workflow ${o.workflowId})`;
  const state = o.state === 'RUNNING' ? 'running: resumed' : `started (${o.state.toLowerCase()})`;
  return `plan: plan ${planId} is already ${state} (workflow ${o.workflowId})`;
}

const out = (line: string) => process.stdout.write(`${line}\n`);
const note = (line: string) => process.stderr.write(`${line}\n`);

/** Runs until SIGINT or SIGTERM; resolves with the exit code. */
export async function main(env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const config = loadStartConfig(env);
  const { dataDir } = config.worker;
  const planFile = config.planFile ?? (await liveDemoPlanFile(dataDir));
  const loaded = await loadPlanFile(planFile);
  if (!loaded.ok) {
    const which = config.planFile
      ? `REVIEW_CYCLES_PLAN=${JSON.stringify(env.REVIEW_CYCLES_PLAN)}`
      : `the live demo plan ${planFile} (delete it to have a new one generated)`;
    throw new UserError(`${which}: the plan is invalid:\n${loaded.errors.join('\n')}`, 'EPLAN');
  }
  const plan = loaded.plan;
  // Without REVIEW_CYCLES_PLAN, the example plan of the docs runs too (its first requests come in its own year).
  const extraPlans: typeof plan[] = [];
  if (!config.planFile) {
    const example = await loadPlanFile(DEFAULT_PLAN_FILE);
    if (!example.ok) throw new UserError(`${DEFAULT_PLAN_FILE}: the plan is invalid:\n${example.errors.join('\n')}`, 'EPLAN');
    if (example.plan.id !== plan.id) extraPlans.push(example.plan);
  }
  // The keys that sign the links, shared by the worker (which makes links) and the portal (which checks them).
  let keyring: Keyring;
  try {
    keyring = loadKeyring(env, join(dataDir, 'link-keys'));
  } catch (err) {
    if (err instanceof KeyringError) throw new ConfigError(`invalid configuration:\n  ${err.message}`);
    throw err;
  }
  const hq = hqCredentialFrom(config.hqCredential, join(dataDir, 'hq-credential'));
  // The portal's and the catcher's ports are checked before anything starts, like the Temporal ports.
  try {
    await assertPortFree(config.portalPort, PORTAL_ROLE);
    if (config.catcher && config.catcherPort !== 0) await assertPortFree(config.catcherPort, CATCHER_ROLE);
  } catch (err) {
    throw err instanceof PortInUseError ? portInUse(err) : err;
  }
  installRuntime();

  // The first SIGINT/SIGTERM shuts down in order (worker, portal, catcher, then server); a second one, a moment
  // later, stops at once. (Within a second it is the same Ctrl-C relayed by a parent such as npm or tsx, and is ignored.)
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
    note(`review-cycles: ${signal}: shutting down (the worker finishes its current tasks, then the portal, the mail catcher and the Temporal server stop)`);
    if (built?.worker.getState() === 'RUNNING') built.worker.shutdown();
    wakeUp();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  let connection: NativeConnection | undefined;
  let clientConnection: Connection | undefined;
  let catcher: MailCatcher | undefined;
  let portal: ReturnType<typeof createPortal> | undefined;
  let running: Promise<void> | undefined;
  let store: ConnectedStore | undefined;
  try {
    note(config.worker.databaseUrl ? 'connecting to the database ...' : `starting the embedded PostgreSQL (port ${config.worker.postgresPort}) ...`);
    store = await connectStore(config.worker);
    if (stopRequested) return 0;
    if (config.embedded) {
      note(`starting the Temporal dev server (data in ${dataDir}) ...`);
      try {
        server = await startDevServer({ dataDir, port: config.port, uiPort: config.uiPort });
      } catch (err) {
        throw err instanceof PortInUseError ? portInUse(err) : err;
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
    // The portal's client gets its own connection with the project's retry rules; the worker keeps the native one.
    clientConnection = await connectTemporal(target.connectionOptions as Parameters<typeof connectTemporal>[0]);
    const client = new Client({ connection: clientConnection, namespace: target.namespace });
    // The embedded server keeps closed workflows for an explicit time; the database keeps their records for good.
    if (server) await ensureRetention(client, target.namespace, EMBEDDED_RETENTION_DAYS);

    if (config.catcher) {
      try {
        catcher = await startMailCatcher({ dir: config.worker.outboxDir, port: config.catcherPort, host: DEV_SERVER_HOST });
      } catch (err) {
        throw isAddressInUse(err) ? portInUse(new PortInUseError(config.catcherPort, CATCHER_ROLE)) : err;
      }
    }
    portal = createPortal({ client, db: store.pool, keyring, hqCredential: hq.credential, publicUrl: config.publicUrl, mailStore: catcher });
    try {
      await portal.listen(config.portalPort, DEV_SERVER_HOST);
    } catch (err) {
      throw isAddressInUse(err) ? portInUse(new PortInUseError(config.portalPort, PORTAL_ROLE)) : err;
    }
    if (stopRequested) return 0;

    note(`preparing the worker on task queue ${config.worker.taskQueue} ...`);
    const workerConfig: WorkerConfig = catcher ? { ...config.worker, smtpUrl: catcher.url } : config.worker;
    built = await buildWorker(connection, target.namespace, workerConfig, store.pool, { links: linkMaker(config.publicUrl, keyring) });
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

    const outcome = await startPlan(client, plan, config.worker.taskQueue);
    const extraOutcomes = await Promise.all(extraPlans.map((p) => startPlan(client, p, config.worker.taskQueue)));
    out(`temporal: ${target.address}`);
    out(`postgres: ${redactUrl(store.url)}${store.embedded ? ' (embedded)' : ''}`);
    out(`temporal-ui: ${server?.uiUrl ?? `none started here (the Temporal server at ${target.address} is external: use its own Web UI)`}`);
    out(`portal: ${config.publicUrl}`);
    out(`outbox: ${catcher ? `${config.publicUrl}/outbox` : `none (mail goes to ${redact(config.worker.smtpUrl!)})`}`);
    // A credential the environment gave is not repeated into logs; the generated one is shown, as the only way to learn it.
    out(`hq-credential: ${hq.fromEnv ? '(as set in REVIEW_CYCLES_HQ_CREDENTIAL)' : hq.credential}`);
    out(planLine(plan.id, outcome));
    extraOutcomes.forEach((o, i) => out(planLine(extraPlans[i].id, o)));
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
    await portal?.close().catch(() => {});
    await catcher?.close().catch(() => {});
    await clientConnection?.close().catch(() => {});
    await connection?.close().catch(() => {});
    if (server) {
      note('stopping the Temporal dev server ...');
      await server.stop();
    }
    await store?.close().catch(() => {});
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
        err instanceof ConfigError || err instanceof UserError || err instanceof MissingBinaryError || err instanceof DevServerError ||
        err instanceof StoreError || err instanceof EmbeddedPostgresError;
      process.stderr.write(`review-cycles: ${known ? (err as Error).message : ((err as Error).stack ?? String(err))}\n`);
      process.exit(1);
    });
}
