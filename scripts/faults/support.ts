/**
 * What every fault scenario uses: worker processes that can be killed with SIGKILL and started again, a workflow
 * bundle built once, an SMTP server that counts every message by Message-ID (and can go away, refuse or drop the
 * connection), and the row each scenario reports.
 */
import { bundleWorkflowCode } from '@temporalio/worker';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SMTPServer } from 'smtp-server';
import { workflowsPath } from '../../worker/build.js';

export const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));
export const sleep = (ms: number) => new Promise<void>((ok) => setTimeout(ok, ms));

/** What one scenario found: the faults it injected and what came of the notices and submissions. */
export interface FaultReport {
  scenario: string;
  /** Faults injected, by kind (worker kill, Temporal server kill, PostgreSQL kill, SMTP outage, ...). */
  faults: Record<string, number>;
  notices: { expected: number; delivered: number; duplicated: number; late: number; maxDelayMs: number; cutHandOvers?: number };
  submissions: { sent: number; recorded: number; lost: number; duplicated: number };
  wallSeconds: number;
  /** Empty when every check held. */
  problems: string[];
  /** One line on what was checked, for the table's notes. */
  note?: string;
}

/** Builds the workflow bundle once into a file that worker processes load (REVIEW_CYCLES_WORKFLOW_BUNDLE). */
export async function prebuiltBundle(dir: string): Promise<string> {
  const { code } = await bundleWorkflowCode({ workflowsPath, logger: { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} } as never });
  const file = join(dir, 'workflow-bundle.js');
  writeFileSync(file, code);
  return file;
}

/** A worker process (`tsx worker/main.ts`) in a process group of its own, so that a kill reaches tsx's node child too. */
export interface WorkerProcess {
  name: string;
  child: ChildProcess;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  alive: () => boolean;
}

const spawned = new Set<WorkerProcess>();
const dataDirs: string[] = [];

/** Starts a worker process with exactly `env` as its review-cycles and Temporal settings. */
export function spawnWorker(name: string, env: Record<string, string>): WorkerProcess {
  const dataDir = mkdtempSync(join(tmpdir(), `rc-fault-worker-`));
  dataDirs.push(dataDir);
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('REVIEW_CYCLES_') && !k.startsWith('TEMPORAL_')));
  const child = spawn(join(root, 'node_modules/.bin/tsx'), ['worker/main.ts'], {
    cwd: root,
    env: { ...inherited, REVIEW_CYCLES_DATA_DIR: dataDir, ...env },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  const keep = (b: Buffer) => {
    text += b.toString();
    if (text.length > 200_000) text = text.slice(-100_000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  let running = true;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((ok) =>
    child.on('exit', (code, signal) => {
      running = false;
      spawned.delete(w);
      ok({ code, signal });
    }),
  );
  const w: WorkerProcess = { name, child, output: () => text, exited, alive: () => running };
  spawned.add(w);
  return w;
}

/** Resolves when the worker logs its "worker: polling" line; rejects if it exits or takes longer than `ms`. */
export async function polling(w: WorkerProcess, ms = 60_000): Promise<void> {
  const until = Date.now() + ms;
  while (!/worker: polling/.test(w.output())) {
    if (!w.alive()) throw new Error(`worker ${w.name} exited before polling:\n${w.output().slice(-4_000)}`);
    if (Date.now() > until) throw new Error(`worker ${w.name} is not polling after ${ms} ms:\n${w.output().slice(-4_000)}`);
    await sleep(25);
  }
}

/** Signals a process group (a worker's: tsx and the node process it runs). */
export function killGroup(pid: number, signal: NodeJS.Signals = 'SIGKILL'): void {
  try {
    process.kill(-pid, signal);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}

/** Kills a worker with SIGKILL and waits until it is gone. */
export async function killWorker(w: WorkerProcess): Promise<void> {
  killGroup(w.child.pid!, 'SIGKILL');
  await w.exited;
}

/** Kills every worker still running and removes their data folders (at the end of a scenario). */
export async function cleanUpWorkers(): Promise<void> {
  await Promise.all([...spawned].map((w) => killWorker(w)));
  for (const d of dataDirs.splice(0)) rmSync(d, { recursive: true, force: true });
}

/** One message as the counting SMTP server saw it. */
export interface Received {
  messageId: string;
  key: string;
  at: number;
}

/** An SMTP server that counts what it receives by Message-ID; it can refuse connections, or drop them after DATA. */
export interface CountingSmtp {
  url: string;
  port: number;
  received: Received[];
  /** Addresses answered 550 at RCPT TO (a permanent refusal). */
  refuse: Set<string>;
  /** While set, the message is read to the end and the connection is then dropped before the server's reply. */
  dropAfterData: boolean;
  /** Messages whose connection was dropped after DATA (the sender never heard back). */
  dropped: Received[];
  /** Stops listening (the port then refuses connections) and cuts the connections open now. */
  stop(): Promise<void>;
  /** Listens again on the same port. */
  start(): Promise<void>;
}

const header = (raw: string, name: string) => new RegExp(`^${name}:\\s*(.+)$`, 'mi').exec(raw)?.[1]?.trim() ?? '';

/** Starts the counting SMTP server on `port` (a free one when 0). */
export async function countingSmtp(port = 0): Promise<CountingSmtp> {
  const received: Received[] = [];
  const dropped: Received[] = [];
  const refuse = new Set<string>();
  const sockets = new Set<Socket>();
  let server: SMTPServer | undefined;
  const state = { dropAfterData: false };
  const make = () => {
    const s = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onConnect(session, callback) {
        callback();
      },
      onRcptTo(address, _session, callback) {
        if (refuse.has(address.address)) {
          const err = new Error(`mailbox ${address.address} unavailable`) as Error & { responseCode: number };
          err.responseCode = 550;
          return callback(err);
        }
        callback();
      },
      onData(stream, session, callback) {
        let raw = '';
        stream.on('data', (b: Buffer) => {
          if (raw.length < 64_000) raw += b.toString('utf8');
        });
        stream.on('end', () => {
          const r = { messageId: header(raw, 'Message-ID'), key: header(raw, 'X-Review-Cycles-Key'), at: Date.now() };
          if (state.dropAfterData) {
            dropped.push(r);
            // The message was taken in full; the reply never leaves.
            for (const sock of sockets) if ((sock as { remotePort?: number }).remotePort === session.remotePort) sock.destroy();
            return;
          }
          received.push(r);
          callback();
        });
      },
    });
    s.on('error', () => {});
    s.server.on('connection', (sock: Socket) => {
      sockets.add(sock);
      sock.on('close', () => sockets.delete(sock));
    });
    return s;
  };
  const listen = async (p: number) => {
    server = make();
    await new Promise<void>((ok, fail) => {
      server!.server.once('error', fail);
      server!.listen(p, '127.0.0.1', () => ok());
    });
    return (server.server.address() as AddressInfo).port;
  };
  const bound = await listen(port);
  const api: CountingSmtp = {
    url: `smtp://127.0.0.1:${bound}`,
    port: bound,
    received,
    refuse,
    dropped,
    get dropAfterData() {
      return state.dropAfterData;
    },
    set dropAfterData(v: boolean) {
      state.dropAfterData = v;
    },
    async stop() {
      const s = server;
      server = undefined;
      if (!s) return;
      for (const sock of sockets) sock.destroy();
      await new Promise<void>((ok) => s.close(() => ok()));
    },
    async start() {
      if (server) return;
      for (let attempt = 0; ; attempt++) {
        try {
          await listen(bound);
          return;
        } catch (err) {
          if (attempt > 50) throw err;
          await sleep(100); // the port is released a moment after close
        }
      }
    },
  };
  return api;
}

/** Counts of a list of received messages: distinct Message-IDs and the copies beyond the first. */
export function tally(received: Received[]): { distinct: Map<string, Received[]>; duplicated: number } {
  const distinct = new Map<string, Received[]>();
  for (const r of received) distinct.set(r.messageId, [...(distinct.get(r.messageId) ?? []), r]);
  let duplicated = 0;
  for (const copies of distinct.values()) duplicated += copies.length - 1;
  return { distinct, duplicated };
}

/** Reads a JSON file written by an earlier step (or undefined). */
export function readJson<T>(file: string): T | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

/** A small seeded random generator (mulberry32), so that a seed repeats the kill moments. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
