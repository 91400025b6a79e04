/** Wires a worker: mail transport, sent log and activities, over a given connection. */
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
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
  });
  return { worker, mailer };
}
