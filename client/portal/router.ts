/** A route table over decoded path segments: `:name` matches one segment, anything else matches itself. */
import { HttpError } from './http.js';

/** The methods the portal serves (HEAD is answered as GET). */
export type Method = 'GET' | 'POST';

/** One route: a method, a pattern such as `/hq/plans/:planId`, and its handler. */
export interface Route<C> {
  method: Method;
  pattern: string;
  handle(ctx: C, params: Record<string, string>): Promise<void>;
}

/** The path split into segments, each percent-decoded; malformed encoding is a 400. */
export function pathSegments(pathname: string): string[] {
  return pathname
    .split('/')
    .slice(1)
    .map((s) => {
      try {
        return decodeURIComponent(s);
      } catch {
        throw new HttpError(400, 'badRequest', 'malformed percent-encoding in the address');
      }
    });
}

function match(pattern: string, segments: string[]): Record<string, string> | null {
  const parts = pattern.split('/').slice(1);
  if (parts.length !== segments.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < parts.length; i++) {
    if (parts[i].startsWith(':')) params[parts[i].slice(1)] = segments[i];
    else if (parts[i] !== segments[i]) return null;
  }
  return params;
}

/** A route with its parameters, the allowed methods (a 405), or null (a 404). */
export type Match<C> = { route: Route<C>; params: Record<string, string> } | { allow: Method[] } | null;

/**
 * The route for this method and path; else the methods the path allows (a 405), or null (a 404). Literal patterns
 * win over `:name` ones, so `/r/continue` is never read as a token.
 */
export function findRoute<C>(routes: Route<C>[], method: string, segments: string[]): Match<C> {
  const allow = new Set<Method>();
  let found: { route: Route<C>; params: Record<string, string>; literal: boolean } | undefined;
  for (const route of routes) {
    const params = match(route.pattern, segments);
    if (!params) continue;
    allow.add(route.method);
    const wanted = method === 'HEAD' ? 'GET' : method;
    if (route.method !== wanted) continue;
    const literal = !route.pattern.includes(':');
    if (!found || (literal && !found.literal)) found = { route, params, literal };
  }
  if (found) return { route: found.route, params: found.params };
  return allow.size ? { allow: [...allow] } : null;
}
