/**
 * Which Host the portal answers for (against DNS rebinding), and the check that a state-changing request was sent by
 * a page of the portal itself.
 */
import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { networkInterfaces } from 'node:os';
import { HttpError } from './http.js';

/** True for an address or host name that only this machine can reach: 127.0.0.0/8, ::1 (also mapped) and localhost. */
export function isLoopback(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^(::ffff:)?127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

const withPort = (address: string, port: number) => `${address.includes(':') ? `[${address}]` : address}:${port}`;

/**
 * The Host values the portal answers for: the public URL's host (with and without its default port), and the address
 * it is bound to; on loopback also 127.0.0.1, localhost and [::1] with the port, and on every address (0.0.0.0, ::)
 * also each of this machine's interfaces. A page of another domain that resolves to the portal names its own host.
 */
export function allowedHosts(bound: AddressInfo, publicUrl?: string): Set<string> {
  const hosts = new Set<string>();
  if (publicUrl) {
    const u = new URL(publicUrl);
    hosts.add(u.host.toLowerCase());
    if (!u.port) hosts.add(`${u.hostname.toLowerCase()}:${u.protocol === 'https:' ? 443 : 80}`);
  }
  const { address, port } = bound;
  const everywhere = address === '0.0.0.0' || address === '::';
  if (everywhere || isLoopback(address)) for (const name of ['127.0.0.1', 'localhost', '::1']) hosts.add(withPort(name, port));
  if (everywhere) {
    for (const list of Object.values(networkInterfaces())) for (const i of list ?? []) hosts.add(withPort(i.address.toLowerCase(), port));
  } else {
    hosts.add(withPort(address.toLowerCase(), port));
  }
  return hosts;
}

const hostOf = (url: string): string | null => {
  try {
    return new URL(url).host.toLowerCase();
  } catch {
    return null;
  }
};

/**
 * Throws a 403 unless the request comes from the portal's own host: the Origin header when it names one, else the
 * browser's Sec-Fetch-Site, else the Referer. Our pages send `Referrer-Policy: no-referrer`, and under that policy
 * browsers post forms with `Origin: null` and no Referer, so Sec-Fetch-Site is what vouches for our own forms.
 * A request that carries none of the three is refused.
 */
export function requireSameOrigin(req: IncomingMessage, publicUrl?: string): void {
  const hosts = new Set<string>();
  if (req.headers.host) hosts.add(req.headers.host.toLowerCase());
  if (publicUrl) {
    const h = hostOf(publicUrl);
    if (h) hosts.add(h);
  }
  const origin = req.headers.origin;
  const site = req.headers['sec-fetch-site'];
  const referer = req.headers.referer;
  if (origin && origin !== 'null') {
    const h = hostOf(origin);
    if (h && hosts.has(h)) return;
    throw new HttpError(403, 'forbidden', 'the request did not come from the portal');
  }
  if (site !== undefined) {
    if (site === 'same-origin') return;
    throw new HttpError(403, 'forbidden', 'the request did not come from the portal');
  }
  if (referer) {
    const h = hostOf(referer);
    if (h && hosts.has(h)) return;
  }
  throw new HttpError(403, 'forbidden', 'the request did not say where it came from');
}

/**
 * For the JSON API: a browser's cross-site request is refused, while a script or curl (no Origin, no Sec-Fetch-Site)
 * is let through to the credential check, since it is not riding on a browser's ambient credentials.
 */
export function refuseCrossSite(req: IncomingMessage, publicUrl?: string): void {
  const origin = req.headers.origin;
  const site = req.headers['sec-fetch-site'];
  if ((origin === undefined || origin === '') && site === undefined) return;
  requireSameOrigin(req, publicUrl);
}
