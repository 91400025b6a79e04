/**
 * `npm run cluster:up`: brings up the local Temporal cluster (see scripts/cluster/cluster.ts) and prints its address;
 * on a running cluster it says so and changes nothing. REVIEW_CYCLES_CLUSTER_PORT moves it (default 17233).
 */
import { ClusterError, TEMPORAL_VERSION, SERVICES, up, type ClusterState } from './cluster.js';
import { EmbeddedPostgresError, redact } from '../../store/index.js';

const say = (line: string) => process.stdout.write(`${line}\n`);

/** The lines that tell an operator where the cluster is and how to point the engine at it. */
export function describe(state: ClusterState): string[] {
  return [
    `temporal: ${state.address} (Temporal server ${state.version}, namespace ${state.namespace}, retention ${state.retentionDays} days)`,
    `services: ${SERVICES.map((s) => `${s} pid ${state.services[s]} gRPC ${state.ports.grpc[s]}`).join(', ')}; logs in ${state.logDir}`,
    `temporal-postgres: ${redact(state.postgres.url)} (Temporal's own data, not the system of record)`,
    `use it: TEMPORAL_ADDRESS=${state.address} TEMPORAL_NAMESPACE=${state.namespace} npm run worker`,
  ];
}

async function main(): Promise<void> {
  const t0 = Date.now();
  const result = await up(say);
  if (result.alreadyRunning) say(`the cluster is already running (Temporal server ${TEMPORAL_VERSION}); nothing changed`);
  else say(`cluster up in ${((Date.now() - t0) / 1000).toFixed(1)} s (started: ${result.started.join(', ')})`);
  for (const line of describe(result.state)) say(line);
}

main()
  .then(() => process.exit(0)) // the embedded PostgreSQL's holding connection would keep this process alive
  .catch((err: unknown) => {
    const known = err instanceof ClusterError || err instanceof EmbeddedPostgresError;
    process.stderr.write(`cluster:up: ${known ? (err as Error).message : ((err as Error).stack ?? String(err))}\n`);
    process.exit(1);
  });
