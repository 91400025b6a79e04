/** Connection options for Temporal from Temporal's own environment variables and CLI profiles. */
import { loadClientConnectConfig } from '@temporalio/envconfig';

export interface TemporalTarget {
  address: string;
  namespace: string;
  connectionOptions: ReturnType<typeof loadClientConnectConfig>['connectionOptions'];
}

/** Reads TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TLS settings and TEMPORAL_PROFILE like the Temporal CLI. */
export function temporalTarget(overrides: { address?: string; namespace?: string } = {}): TemporalTarget {
  const cfg = loadClientConnectConfig();
  const connectionOptions = { ...cfg.connectionOptions };
  if (overrides.address) connectionOptions.address = overrides.address;
  return {
    address: connectionOptions.address ?? 'localhost:7233',
    namespace: overrides.namespace ?? cfg.namespace ?? 'default',
    connectionOptions,
  };
}
