/** Worker Versioning's settings: none by default, a build id and a deployment name from the environment, and each workflow type's behaviour. */
import { resolve } from 'node:path';
import { describe, expect, test } from 'vitest';
import { VERSIONING_BEHAVIOR, workerDeploymentOptionsFor } from '../../worker/build.js';
import { ConfigError, DEFAULT_DEPLOYMENT_NAME, loadWorkerConfig } from '../../worker/config.js';
import * as workflows from '../../workflows/index.js';

const cwd = resolve('/srv/review-cycles');

function configError(env: NodeJS.ProcessEnv): string {
  try {
    loadWorkerConfig(env, cwd);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).code).toBe('ECONFIG');
    return (err as ConfigError).message;
  }
  throw new Error(`expected a ConfigError for ${JSON.stringify(env)}`);
}

describe('the deployment version from the environment', () => {
  test('unset (or blank): an unversioned worker, as before', () => {
    expect(loadWorkerConfig({}, cwd).deployment).toBeUndefined();
    expect('deployment' in loadWorkerConfig({}, cwd)).toBe(false);
    expect(loadWorkerConfig({ REVIEW_CYCLES_BUILD_ID: '', REVIEW_CYCLES_DEPLOYMENT_NAME: '' }, cwd).deployment).toBeUndefined();
  });

  test('a build id alone: the default deployment name', () => {
    expect(loadWorkerConfig({ REVIEW_CYCLES_BUILD_ID: '2027.03.1' }, cwd).deployment).toEqual({ deploymentName: DEFAULT_DEPLOYMENT_NAME, buildId: '2027.03.1' });
    expect(DEFAULT_DEPLOYMENT_NAME).toBe('review-cycles');
  });

  test('both: as given, trimmed', () => {
    expect(loadWorkerConfig({ REVIEW_CYCLES_BUILD_ID: ' git-3f2a9c1 ', REVIEW_CYCLES_DEPLOYMENT_NAME: ' province-north ' }, cwd).deployment).toEqual({
      deploymentName: 'province-north',
      buildId: 'git-3f2a9c1',
    });
  });

  test('a deployment name without a build id is a mistake, not an unversioned worker', () => {
    expect(configError({ REVIEW_CYCLES_DEPLOYMENT_NAME: 'province-north' })).toBe(
      'invalid configuration:\n  REVIEW_CYCLES_DEPLOYMENT_NAME="province-north": needs REVIEW_CYCLES_BUILD_ID, the build this worker runs (without both the worker is unversioned)',
    );
  });

  test.each([
    ['province.north', 'must not contain ".", ":", line breaks or other control characters'],
    ['province:north', 'must not contain ".", ":", line breaks or other control characters'],
    ['province\nnorth', 'must not contain ".", ":", line breaks or other control characters'],
    ['__internal', 'must not start with "__" (reserved by Temporal)'],
    ['x'.repeat(256), 'must be at most 255 characters'],
  ])('deployment name %j', (name, rule) => {
    expect(configError({ REVIEW_CYCLES_DEPLOYMENT_NAME: name, REVIEW_CYCLES_BUILD_ID: 'b1' })).toBe(`invalid configuration:\n  REVIEW_CYCLES_DEPLOYMENT_NAME=${JSON.stringify(name)}: ${rule}`);
  });

  test.each([
    ['build\t1', 'must not contain line breaks or other control characters'],
    ['__unversioned__', 'must not start with "__" (reserved by Temporal)'],
    ['b'.repeat(256), 'must be at most 255 characters'],
    ['   ', 'must not be empty'],
  ])('build id %j', (buildId, rule) => {
    expect(configError({ REVIEW_CYCLES_BUILD_ID: buildId })).toBe(`invalid configuration:\n  REVIEW_CYCLES_BUILD_ID=${JSON.stringify(buildId)}: ${rule}`);
  });
});

describe("the worker's versioning options", () => {
  test('every workflow type the worker registers has its behaviour, and every one is AUTO_UPGRADE', () => {
    const registered = Object.entries(workflows).filter(([, v]) => typeof v === 'function').map(([name]) => name).sort();
    expect(registered.length).toBeGreaterThan(0);
    expect(Object.keys(VERSIONING_BEHAVIOR).sort()).toEqual(registered);
    expect(new Set(Object.values(VERSIONING_BEHAVIOR))).toEqual(new Set(['AUTO_UPGRADE']));
  });

  test('a versioned worker: its deployment version, with AUTO_UPGRADE as the default behaviour', () => {
    expect(workerDeploymentOptionsFor({ deploymentName: 'review-cycles', buildId: 'b2' })).toEqual({
      useWorkerVersioning: true,
      version: { deploymentName: 'review-cycles', buildId: 'b2' },
      defaultVersioningBehavior: 'AUTO_UPGRADE',
    });
  });
});
