/** The Worker Versioning scenario (test/worker/versioning-scenario.ts) on a dev server of its own. */
import { useDevServer } from '../helpers/dev-server.js';
import { VERSIONING_DYNAMIC_CONFIG, versioningSuite } from './versioning-scenario.js';

const dev = useDevServer({ headless: true, dynamicConfig: VERSIONING_DYNAMIC_CONFIG });
versioningSuite(() => ({ address: dev.address, namespace: 'default' }));
