/** Finds the Temporal CLI (dev server) and the time-skipping test server: env variable, project install, PATH. */
import { accessSync, constants } from 'node:fs';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export class MissingBinaryError extends Error {
  readonly code = 'ENOTEMPORAL';
}

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function find(envVar: string, name: string, env: NodeJS.ProcessEnv): string {
  const fromEnv = env[envVar];
  if (fromEnv) {
    if (executable(fromEnv)) return fromEnv;
    throw new MissingBinaryError(`${envVar}=${fromEnv}: not an executable file`);
  }
  const local = join(projectRoot, '.temporal', 'py', 'bin', name);
  if (executable(local)) return local;
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir && executable(join(dir, name))) return join(dir, name);
  }
  throw new MissingBinaryError(
    `${name} not found (looked at $${envVar}, .temporal/py/bin/${name} and PATH); install it with: npm run install-temporal`,
  );
}

/** The `temporal` CLI, which runs the dev server with its Web UI. */
export function temporalCliPath(env: NodeJS.ProcessEnv = process.env): string {
  return find('TEMPORAL_CLI_PATH', 'temporal', env);
}

/** The time-skipping test server. */
export function temporalTestServerPath(env: NodeJS.ProcessEnv = process.env): string {
  return find('TEMPORAL_TEST_SERVER_PATH', 'temporal-test-server', env);
}
