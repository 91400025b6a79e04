/**
 * The embedded PostgreSQL of a data folder: a real server from node_modules, shared by the processes of one data
 * folder, surviving a kill -9 of the process that started it, and reachable by its server user when run as root.
 */
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, expect, test } from 'vitest';
import { freePorts } from '../../client/dev-server.js';
import { startEmbeddedPostgres } from '../../store/embedded.js';

const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const tsxCli = join(root, 'node_modules/tsx/dist/cli.mjs');
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A folder the server's user can reach (a temporary folder is root's alone). */
function reachableDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'rc-embedded-'));
  chmodSync(d, 0o755);
  dirs.push(d);
  return d;
}

async function query(url: string, sql: string, params: unknown[] = []) {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query(sql, params)).rows;
  } finally {
    await c.end();
  }
}

test('a second process on the same data folder shares the server; the last one out stops it', async () => {
  const [port] = await freePorts(1);
  const dataDir = join(reachableDir(), 'data');
  const first = await startEmbeddedPostgres({ dataDir, port });
  expect(first.startedHere).toBe(true);
  const second = await startEmbeddedPostgres({ dataDir, port });
  expect(second.startedHere).toBe(false);
  expect(second.url).toBe(first.url);
  await query(first.url, 'CREATE TABLE t (x int)');
  await query(second.url, 'INSERT INTO t VALUES (1)');
  // The first one stops while the second still holds its connection: the server stays up.
  await first.stop();
  expect(await query(second.url, 'SELECT count(*)::int AS n FROM t')).toEqual([{ n: 1 }]);
  const pid = Number(readFileSync(join(first.dataFolder, 'postmaster.pid'), 'utf8').split('\n')[0]);
  await second.stop();
  expect(() => process.kill(pid, 0)).toThrow();
  await first.stop(); // twice is harmless
});

test('survives a kill -9 of the process that started it: the next process uses it, with every row kept, and stops it last', async () => {
  const [port] = await freePorts(1);
  const dataDir = join(reachableDir(), 'data');
  const script = `
    import { startEmbeddedPostgres } from ${JSON.stringify(join(root, 'store/embedded.ts'))};
    import pg from 'pg';
    const e = await startEmbeddedPostgres({ dataDir: ${JSON.stringify(dataDir)}, port: ${port} });
    const c = new pg.Client({ connectionString: e.url });
    await c.connect();
    await c.query('CREATE TABLE kept (x int)');
    await c.query('INSERT INTO kept SELECT generate_series(1, 1000)');
    console.log('ready');
    setInterval(() => {}, 1000);
  `;
  const child = spawn(process.execPath, [tsxCli, '--input-type=module', '-e', script], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'], detached: true });
  await new Promise<void>((ok, fail) => {
    child.stdout!.on('data', (b: Buffer) => b.toString().includes('ready') && ok());
    child.once('exit', (code) => fail(new Error(`the child exited with ${code}`)));
  });
  process.kill(-child.pid!, 'SIGKILL'); // tsx and the script it runs
  await new Promise((r) => child.once('exit', r));
  const again = await startEmbeddedPostgres({ dataDir, port });
  expect(again.startedHere).toBe(false); // still running after the kill
  expect(await query(again.url, 'SELECT count(*)::int AS n FROM kept')).toEqual([{ n: 1000 }]);
  const pid = Number(readFileSync(join(again.dataFolder, 'postmaster.pid'), 'utf8').split('\n')[0]);
  await again.stop();
  expect(() => process.kill(pid, 0)).toThrow();
});

test.runIf(process.getuid?.() === 0)('as root, a data folder only root may enter: the server still runs, from a prepared folder noted in LOCATION', async () => {
  const [port] = await freePorts(1);
  const closed = mkdtempSync(join(tmpdir(), 'rc-closed-')); // mode 700, root's
  dirs.push(closed);
  const dataDir = join(closed, 'data');
  const e = await startEmbeddedPostgres({ dataDir, port });
  try {
    const location = readFileSync(join(dataDir, 'postgres', 'LOCATION'), 'utf8').trim();
    expect(e.dataFolder).toBe(join(location, 'data'));
    expect(await query(e.url, 'SELECT 1 AS one')).toEqual([{ one: 1 }]);
  } finally {
    await e.stop();
    const location = readFileSync(join(dataDir, 'postgres', 'LOCATION'), 'utf8').trim();
    if (existsSync(location)) rmSync(location, { recursive: true, force: true });
  }
});

test('a port another program holds: a clear error naming the variable', async () => {
  const [port] = await freePorts(1);
  const net = await import('node:net');
  const blocker = net.createServer((s) => s.destroy());
  await new Promise<void>((ok) => blocker.listen(port, '127.0.0.1', ok));
  try {
    await expect(startEmbeddedPostgres({ dataDir: join(reachableDir(), 'data'), port, readyTimeoutMs: 5_000 })).rejects.toThrow(/REVIEW_CYCLES_POSTGRES_PORT|did not answer/);
  } finally {
    blocker.close();
  }
});
