/** The check that a state-changing request was sent by a page of the portal itself. */
import type { IncomingMessage } from 'node:http';
import { HttpError } from './http.js';

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
