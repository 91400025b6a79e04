/** Bundles the workflows once per test run and starts one embedded PostgreSQL; every test file shares both. */
import { bundleWorkflowCode } from '@temporalio/worker';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { workflowsPath } from '../../worker/build.js';
import { temporaryEmbeddedPostgres, type EmbeddedPostgres } from '../../store/embedded.js';
import { openStore } from '../../store/pool.js';
import { freePorts } from '../../client/dev-server.js';

let server: EmbeddedPostgres | undefined;

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const { code } = await bundleWorkflowCode({ workflowsPath, logger: quietLogger });
  const file = join(mkdtempSync(join(tmpdir(), 'rc-bundle-')), 'workflows.js');
  writeFileSync(file, code);
  project.provide('workflowBundlePath', file);

  // One server for the run; each test file gets databases of its own, copied from a migrated template.
  const [port] = await freePorts(1);
  server = await temporaryEmbeddedPostgres(port, 'rc_template');
  const template = await openStore(server.url);
  await template.close();
  const admin = new pg.Client({ connectionString: server.url.replace(/\/rc_template$/, '/postgres') });
  await admin.connect();
  await admin.query("UPDATE pg_database SET datistemplate = true WHERE datname = 'rc_template'");
  await admin.end();
  project.provide('postgresUrl', server.url);
  return async () => {
    await server?.stop();
  };
}

const noop = () => {};
const quietLogger = { trace: noop, debug: noop, info: noop, warn: console.warn, error: console.error, log: noop };

declare module 'vitest' {
  export interface ProvidedContext {
    workflowBundlePath: string;
    /** The migrated template database of the run's embedded PostgreSQL. */
    postgresUrl: string;
  }
}
