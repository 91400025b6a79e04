/** Runs a worker until SIGINT or SIGTERM, then drains and stops. */
import { NativeConnection } from '@temporalio/worker';
import { ConfigError, loadWorkerConfig } from './config.js';
import { temporalTarget } from './connection.js';
import { KeyringError } from '../security/keyring.js';
import { buildWorker, linksFor } from './build.js';
import { connectStore, EmbeddedPostgresError, redact, StoreError } from '../store/index.js';

async function main(): Promise<void> {
  const config = loadWorkerConfig();
  const links = linksFor(config);
  const target = temporalTarget();
  const store = await connectStore(config);
  const connection = await NativeConnection.connect(target.connectionOptions);
  const workflowBundle = config.workflowBundle ? { codePath: config.workflowBundle } : undefined;
  const { worker, mailer } = await buildWorker(connection, target.namespace, config, store.pool, { links, workflowBundle });
  console.log(
    `worker: polling ${config.taskQueue} on ${target.address}/${target.namespace}; mail via ${config.smtpUrl ? 'SMTP' : config.outboxDir}; ` +
      (config.publicUrl ? `links to ${config.publicUrl}` : 'no links in notices (REVIEW_CYCLES_PUBLIC_URL not set)') +
      `; records in ${redact(store.url)}` +
      (config.deployment ? `; build ${config.deployment.buildId} of Worker Deployment ${config.deployment.deploymentName}` : ''),
  );
  try {
    await worker.run(); // the SDK shuts the worker down gracefully on SIGINT and SIGTERM
  } finally {
    await mailer.close();
    await connection.close();
    await store.close();
  }
}

main().catch((err) => {
  console.error(err instanceof ConfigError || err instanceof KeyringError || err instanceof StoreError || err instanceof EmbeddedPostgresError ? `review-cycles worker: ${err.message}` : err);
  process.exit(1);
});
