/** `npm run cluster:down`: stops the local Temporal cluster's services and its PostgreSQL; `-- --wipe` also removes its data. */
import { ClusterError, down } from './cluster.js';

const say = (line: string) => process.stdout.write(`${line}\n`);

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const unknown = args.filter((a) => a !== '--wipe');
  if (unknown.length) throw new ClusterError(`unknown argument ${unknown[0]}: the only option is --wipe (also remove Temporal's data)`);
  if (await down(say, { wipe: args.includes('--wipe') })) say('cluster stopped');
  else say('no cluster is running here (nothing to stop)');
}

main().catch((err: unknown) => {
  process.stderr.write(`cluster:down: ${err instanceof ClusterError ? err.message : ((err as Error).stack ?? String(err))}\n`);
  process.exit(1);
});
