/** What every handler is given: the request, the response, and the portal's settings and secrets. */
import type { Client } from '@temporalio/client';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type pg from 'pg';
import type { Engine } from '../plans.js';
import type { Keyring } from '../../security/keyring.js';
import type { Catalogue } from './catalogue/en.js';
import type { HqAuth } from './hq-auth.js';
import type { MailStore } from './mail-store.js';

/** The portal's settings, fixed when it is created. */
export interface Portal {
  /** For writes (reports and decisions): they go to the workflows. */
  client: Client;
  /** The system of record every page reads. */
  db: pg.Pool;
  /** What writes go through: the client, and the database they read the plan's layout from. */
  engine: Engine;
  ring: Keyring;
  /** Derived from the active link key; MACs CSRF tokens and headquarters' sessions. */
  secret: Buffer;
  hq: HqAuth;
  publicUrl?: string;
  mailStore?: MailStore;
  sessionMinutes: number;
  maxBodyBytes: number;
  /** Cookies get `Secure`, and every response HSTS, when the public address is https. */
  secureCookies: boolean;
  /** The outbox is served without credential: the portal listens on loopback and the public address is loopback. */
  openOutbox: boolean;
  log(line: string): void;
}

/** One request being answered. */
export interface Ctx {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  portal: Portal;
  /** The language errors are told in: English until the handler knows the plan. */
  c: Catalogue;
  /** The time zone refusals write their instants in: UTC until the handler knows the plan. */
  zone: string;
  /** A JSON API request: errors are answered as JSON. */
  api: boolean;
}
