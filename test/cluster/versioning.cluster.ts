/**
 * The Worker Versioning scenario (test/worker/versioning-scenario.ts) on the local cluster, whose dynamic
 * configuration carries the scenario's drainage settings (scripts/cluster/cluster.ts, CLUSTER_DYNAMIC_CONFIG).
 */
import { versioningSuite } from '../worker/versioning-scenario.js';
import { runningCluster } from './support.js';

versioningSuite(() => {
  const cluster = runningCluster();
  return { address: cluster.temporalAddress, namespace: cluster.temporalNamespace };
});
