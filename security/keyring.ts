/**
 * The keys that sign links, with ids so they can be rotated: new links use the active key, links signed with an
 * older key that is still listed keep working until they expire.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export interface Keyring {
  /** The id of the key new tokens are signed with. */
  activeId: string;
  keys: Map<string, Buffer>;
}

export class KeyringError extends Error {
  readonly code = 'EKEYRING';
}

const KID = /^[A-Za-z0-9_-]{1,32}$/;

/**
 * Parses `kid:base64secret[,kid:base64secret...]`; the first key is the active one. Each secret must be at least
 * 32 bytes. Errors name the variable and the entry.
 */
export function parseKeyring(text: string, variable = 'REVIEW_CYCLES_LINK_KEYS'): Keyring {
  const keys = new Map<string, Buffer>();
  let activeId = '';
  const entries = text.split(',').map((e) => e.trim()).filter(Boolean);
  if (!entries.length) throw new KeyringError(`${variable}: must list at least one key written kid:base64secret`);
  entries.forEach((entry, i) => {
    const at = entry.indexOf(':');
    const kid = at > 0 ? entry.slice(0, at) : '';
    if (!KID.test(kid)) throw new KeyringError(`${variable}: entry ${i + 1}: the key id must be 1-32 letters, digits, "-" or "_" before a ":"`);
    const secret = Buffer.from(entry.slice(at + 1), 'base64');
    if (secret.length < 32) throw new KeyringError(`${variable}: key "${kid}": the secret must be at least 32 bytes, base64-encoded (got ${secret.length})`);
    if (keys.has(kid)) throw new KeyringError(`${variable}: key "${kid}" is listed twice`);
    keys.set(kid, secret);
    if (i === 0) activeId = kid;
  });
  return { activeId, keys };
}

/** Writes a keyring in the `kid:base64` form. */
export function formatKeyring(ring: Keyring): string {
  const ordered = [ring.activeId, ...[...ring.keys.keys()].filter((k) => k !== ring.activeId)];
  return ordered.map((kid) => `${kid}:${ring.keys.get(kid)!.toString('base64')}`).join(',');
}

/** A new random key. */
export function newKeyring(kid = `k${new Date().toISOString().slice(0, 10).replace(/-/g, '')}`): Keyring {
  return { activeId: kid, keys: new Map([[kid, randomBytes(32)]]) };
}

/**
 * The keyring from the environment, or else the one kept in `file` (created on first use, readable by the owner only):
 * the embedded default keeps its links valid across restarts.
 */
export function loadKeyring(env: NodeJS.ProcessEnv, file: string): Keyring {
  const fromEnv = env.REVIEW_CYCLES_LINK_KEYS;
  if (fromEnv) return parseKeyring(fromEnv);
  if (existsSync(file)) return parseKeyring(readFileSync(file, 'utf8').trim(), file);
  const ring = newKeyring();
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${formatKeyring(ring)}\n`, { mode: 0o600 });
  return ring;
}
