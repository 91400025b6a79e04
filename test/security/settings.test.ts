/** The start-up checks of headquarters' credential: too short is a ConfigError naming the variable (or file) and the rule. */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { hqCredentialFrom, loadStartConfig, MIN_HQ_CREDENTIAL_LENGTH } from '../../client/start.js';
import { ConfigError } from '../../worker/config.js';

const dir = mkdtempSync(join(tmpdir(), 'rc-settings-'));

describe('REVIEW_CYCLES_HQ_CREDENTIAL', () => {
  test('shorter than 16 characters stops start-up, naming the variable and the rule but not the value', () => {
    for (const short of ['QQ', 'W7#kP!x9@vL2&mN']) {
      const run = () => loadStartConfig({ REVIEW_CYCLES_HQ_CREDENTIAL: short, REVIEW_CYCLES_DATA_DIR: dir }, dir);
      expect(run).toThrow(ConfigError);
      expect(run).toThrow(`REVIEW_CYCLES_HQ_CREDENTIAL: must be at least 16 characters long (got ${short.length};`);
      try {
        run();
      } catch (err) {
        expect((err as Error).message).not.toContain(short);
      }
    }
    expect(loadStartConfig({ REVIEW_CYCLES_HQ_CREDENTIAL: 'sixteen-chars-ok', REVIEW_CYCLES_DATA_DIR: dir }, dir).hqCredential).toBe('sixteen-chars-ok');
  });

  test('a generated credential satisfies the rule; a kept one that does not is refused, naming its file', () => {
    const file = join(dir, 'hq-credential');
    const generated = hqCredentialFrom(undefined, file);
    expect(generated.credential.length).toBeGreaterThanOrEqual(MIN_HQ_CREDENTIAL_LENGTH);
    expect(readFileSync(file, 'utf8').trim()).toBe(generated.credential);
    expect(hqCredentialFrom(undefined, file)).toEqual(generated);
    writeFileSync(file, 'short\n');
    expect(() => hqCredentialFrom(undefined, file)).toThrow(ConfigError);
    expect(() => hqCredentialFrom(undefined, file)).toThrow(`${file}: the credential kept there must be at least 16 characters long`);
  });
});
