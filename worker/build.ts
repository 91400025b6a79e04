/** Wires a worker: mail transport, sent log and activities, over a given connection. */
import type { VersioningBehavior } from '@temporalio/common';
import { NativeConnection, Worker, type WorkerDeploymentOptions, type WorkerOptions } from '@temporalio/worker';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type pg from 'pg';
import { createActivities, createOutboxMailer, createSmtpMailer, type Mailer } from '../activities/index.js';
import { createDbSentLog } from '../store/notices.js';
import type { SentNotice } from '../activities/index.js';
import { loadKeyring } from '../security/keyring.js';
import { linkMaker, type LinkMaker } from '../security/links.js';
import type { WorkerConfig } from './config.js';

const require = createRequire(import.meta.url);

/** The path of the workflows' entry point, for `workflowsPath`. */
export const workflowsPath = require.resolve('../workflows/index.ts');

/** One mail transport per worker: SMTP when configured, else the outbox folder. */
export function mailerFor(config: WorkerConfig): Mailer {
  return config.smtpUrl ? createSmtpMailer(config.smtpUrl) : createOutboxMailer(config.outboxDir);
}

/**
 * The links of a stand-alone worker: to REVIEW_CYCLES_PUBLIC_URL, signed with REVIEW_CYCLES_LINK_KEYS or the key file
 * in the data folder (created on first use); none without a public URL. Throws a KeyringError for bad keys.
 */
export function linksFor(config: WorkerConfig, env: NodeJS.ProcessEnv = process.env): LinkMaker | undefined {
  return config.publicUrl ? linkMaker(config.publicUrl, loadKeyring(env, config.linkKeysFile)) : undefined;
}

/**
 * How each workflow type moves between builds under Worker Versioning. Every type is AUTO_UPGRADE: a plan, its groups
 * and its findings run for years, and a PINNED run would stay on the build it started on for all of them (its build
 * could never drain, and no fix would ever reach it). An AUTO_UPGRADE run moves to the current build on its next task;
 * that is safe because every workflow change is made behind `patched()` and replayed against the recorded histories
 * (test/histories). A new workflow type must be given its behaviour here (test/worker/versioning-config.test.ts).
 */
export const VERSIONING_BEHAVIOR = {
  planWorkflow: 'AUTO_UPGRADE',
  groupWorkflow: 'AUTO_UPGRADE',
  findingsWorkflow: 'AUTO_UPGRADE',
} as const satisfies Record<string, VersioningBehavior>;

/**
 * The worker's Worker Versioning options for its deployment version (see WorkerConfig.deployment). Every type has the
 * same behaviour, so it is the worker's default; a type that needed another would declare it with setWorkflowOptions
 * in its own module.
 */
export function workerDeploymentOptionsFor(version: NonNullable<WorkerConfig['deployment']>): WorkerDeploymentOptions {
  return {
    useWorkerVersioning: true,
    version: { deploymentName: version.deploymentName, buildId: version.buildId },
    defaultVersioningBehavior: 'AUTO_UPGRADE',
  };
}

export interface BuiltWorker {
  worker: Worker;
  mailer: Mailer;
}

/** Creates the worker; the caller runs it and closes the mailer afterwards. */
export async function buildWorker(
  connection: NativeConnection,
  namespace: string,
  config: WorkerConfig,
  db: pg.Pool,
  extra: {
    onSent?: (n: SentNotice) => void;
    workflowBundle?: WorkerOptions['workflowBundle'];
    /** Links to the portal in every notice (`npm start` passes its portal's; see linksFor for a stand-alone worker). */
    links?: LinkMaker;
  } = {},
): Promise<BuiltWorker> {
  const mailer = mailerFor(config);
  const activities = createActivities({
    mailer,
    sentLog: createDbSentLog(db),
    db,
    from: config.mailFrom,
    documentsDir: (planId) => join(config.documentsDir, planId),
    onSent: extra.onSent,
    links: extra.links,
  });
  const worker = await Worker.create({
    connection,
    namespace,
    taskQueue: config.taskQueue,
    activities,
    ...(extra.workflowBundle ? { workflowBundle: extra.workflowBundle } : { workflowsPath }),
    ...(config.workflowCache !== undefined ? { maxCachedWorkflows: config.workflowCache } : {}),
    ...(config.deployment ? { workerDeploymentOptions: workerDeploymentOptionsFor(config.deployment) } : {}),
  });
  return { worker, mailer };
}
