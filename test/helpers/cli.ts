/** The `review-cycles` CLI as a real subprocess, with an environment of the test's own (no Temporal or project settings inherited). */
import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));

/** What one run of the CLI came to. */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** This process's environment without any Temporal or project settings, so a test never reaches another server. */
export const cleanEnv = (): Record<string, string | undefined> =>
  Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('TEMPORAL_') && !k.startsWith('REVIEW_CYCLES_')));

/** Runs the CLI with `args` in `cwd`, its environment the clean one plus `env`. */
export function runCli(args: string[], o: { cwd: string; env: Record<string, string> }): Promise<CliRun> {
  return new Promise((ok) => {
    execFile(process.execPath, [join(root, 'bin/review-cycles.js'), ...args], { cwd: o.cwd, env: { ...cleanEnv(), ...o.env }, timeout: 60_000 }, (err, stdout, stderr) =>
      ok({ code: err ? ((err as { code?: number }).code ?? -1) : 0, stdout, stderr }),
    );
  });
}
