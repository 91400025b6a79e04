/** Installs the SDK runtime once per process with quiet logging. */
import { DefaultLogger, Runtime, type LogLevel } from '@temporalio/worker';

let installed = false;

/** Keeps the SDK's logging at `level` (and the native core's at ERROR, which otherwise warns about the test server). */
export function installRuntime(level: LogLevel = 'WARN'): void {
  if (installed) return;
  installed = true;
  Runtime.install({
    logger: new DefaultLogger(level),
    telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' }, forward: {} } },
  });
}
