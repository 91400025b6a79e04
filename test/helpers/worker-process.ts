/**
 * Real worker processes for crash tests: `tsx worker/main.ts` in a process group of its own (so that SIGKILL reaches
 * tsx's node child too), its settings from the test alone, and its output kept for failure messages.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const sleep = (ms: number) => new Promise((ok) => setTimeout(ok, ms));

/** One spawned worker. */
export interface WorkerProcess {
  name: string;
  child: ChildProcess;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  alive: () => boolean;
}

/** The workers a test file spawned, and their data folders, so that `stopWorkers` can clean up after them. */
export class WorkerProcesses {
  private readonly spawned: WorkerProcess[] = [];
  private readonly dataDirs: string[] = [];

  /** Spawns `tsx worker/main.ts` with `env` (and a data folder of its own); REVIEW_CYCLES_ and TEMPORAL_ come from `env` only. */
  spawn(name: string, env: Record<string, string>): WorkerProcess {
    const dataDir = mkdtempSync(join(tmpdir(), `rc-worker-${name}-`));
    this.dataDirs.push(dataDir);
    const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('REVIEW_CYCLES_') && !k.startsWith('TEMPORAL_')));
    const child = spawn(join(root, 'node_modules/.bin/tsx'), ['worker/main.ts'], {
      cwd: root,
      env: { ...inherited, ...env, REVIEW_CYCLES_DATA_DIR: dataDir },
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let text = '';
    child.stdout!.on('data', (b: Buffer) => (text += b.toString()));
    child.stderr!.on('data', (b: Buffer) => (text += b.toString()));
    let running = true;
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((ok) =>
      child.on('exit', (code, signal) => {
        running = false;
        ok({ code, signal });
      }),
    );
    const w = { name, child, output: () => text, exited, alive: () => running };
    this.spawned.push(w);
    return w;
  }

  /** Kills every worker still running (SIGKILL to its group), waits for them, and removes their data folders. */
  async stopAll(): Promise<void> {
    for (const w of this.spawned) if (w.alive()) killGroup(w, 'SIGKILL');
    await Promise.all(this.spawned.map((w) => Promise.race([w.exited, sleep(5_000)])));
    for (const d of this.dataDirs) rmSync(d, { recursive: true, force: true });
  }
}

/** Resolves when the worker logs its "worker: polling" line; rejects if it exits or takes longer than `ms`. */
export async function polling(w: WorkerProcess, ms = 60_000): Promise<void> {
  const until = Date.now() + ms;
  while (!/worker: polling/.test(w.output())) {
    if (!w.alive()) throw new Error(`worker ${w.name} exited before polling:\n${w.output()}`);
    if (Date.now() > until) throw new Error(`worker ${w.name} is not polling after ${ms} ms:\n${w.output()}`);
    await sleep(20);
  }
}

/** Signals the worker's whole process group (tsx and the node process it runs). */
export function killGroup(w: WorkerProcess, signal: NodeJS.Signals): void {
  try {
    process.kill(-w.child.pid!, signal);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}

/** Stops a worker with SIGTERM (tsx hands it on; the SDK drains); SIGKILL after `ms`. Resolves true if it stopped on SIGTERM. */
export async function stopWorker(w: WorkerProcess, ms = 20_000): Promise<boolean> {
  if (!w.alive()) return true;
  w.child.kill('SIGTERM');
  const stopped = await Promise.race([w.exited.then(() => true), sleep(ms).then(() => false)]);
  if (!stopped) killGroup(w, 'SIGKILL');
  return stopped;
}

/** Polls `probe` every `every` ms until it gives a value; fails after `ms` saying what it waited for. */
export async function waitUntil<T>(what: string, ms: number, probe: () => Promise<T | undefined> | T | undefined, every = 100): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((ok) => setTimeout(ok, every));
  }
}
