/**
 * A small HTTP router for the emulator's REST APIs (Compute, Storage, Binary
 * Authorization, `/__emulator/`). Handlers return JSON; errors are rendered in the
 * wire format of the API that owns the route.
 */
import type * as http from 'node:http';
import { EmulatorError, codeName, httpStatusOf, Code } from './errors';

/** How an API renders errors: Google's modern JSON (`status`), or Compute's legacy form. */
export type ErrorStyle = 'google' | 'compute' | 'storage';

export interface HttpRequest {
  method: string;
  path: string;
  params: Record<string, string>;
  query: URLSearchParams;
  body: any;
  headers: http.IncomingHttpHeaders;
}

export interface HttpResponse {
  status?: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export type HttpHandler = (req: HttpRequest) => Promise<HttpResponse | unknown> | HttpResponse | unknown;

interface Route {
  method: string;
  pattern: RegExp;
  keys: string[];
  handler: HttpHandler;
  style: ErrorStyle;
  /** Pass the body through as a Buffer (uploads) instead of parsing JSON. */
  raw: boolean;
}

/** Per-route options. */
export interface RouteOptions {
  /** The handler gets the body as a Buffer (media and multipart uploads). @default false */
  raw?: boolean;
}

/** Marks a handler result as a full response (status/headers) rather than a JSON body. */
export function response(status: number, body?: unknown, headers?: Record<string, string>): HttpResponse & { __response: true } {
  return { status, body, headers, __response: true };
}

export class Router {
  private routes: Route[] = [];

  /**
   * Add a route. `path` uses `:name` for one segment and `*name` for the rest of the path,
   * e.g. `/compute/v1/projects/:project/global/backendServices/:name`.
   */
  add(method: string, path: string, handler: HttpHandler, style: ErrorStyle = 'google', options: RouteOptions = {}): void {
    const keys: string[] = [];
    const src = path
      .split('/')
      .map((seg) => {
        if (seg.startsWith(':')) {
          keys.push(seg.slice(1));
          return '([^/]+)';
        }
        if (seg.startsWith('*')) {
          keys.push(seg.slice(1));
          return '(.+)';
        }
        return seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      })
      .join('/');
    this.routes.push({ method: method.toUpperCase(), pattern: new RegExp(`^${src}$`), keys, handler, style, raw: !!options.raw });
  }

  /** Handle a request; returns false when no route matched. */
  async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<boolean> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const pathname = decodeURIComponent(url.pathname);
    let pathMatched: Route | undefined;
    for (const route of this.routes) {
      const m = route.pattern.exec(pathname);
      if (!m) continue;
      pathMatched = route;
      if (route.method !== req.method) continue;
      const params: Record<string, string> = {};
      route.keys.forEach((k, i) => (params[k] = m[i + 1]));
      let body: any;
      try {
        body = route.raw ? await readRaw(req) : await readJson(req);
      } catch {
        sendError(res, new EmulatorError(Code.INVALID_ARGUMENT, 'Invalid JSON payload received.', 'parseError'), route.style);
        return true;
      }
      try {
        const out = await route.handler({ method: req.method!, path: pathname, params, query: url.searchParams, body, headers: req.headers });
        if (out && typeof out === 'object' && (out as any).__response) {
          const r = out as HttpResponse;
          send(res, r.status ?? 200, r.body, r.headers);
        } else {
          send(res, 200, out ?? {});
        }
      } catch (err) {
        sendError(res, err, route.style);
      }
      return true;
    }
    if (pathMatched) {
      sendError(res, new EmulatorError(Code.UNIMPLEMENTED, `Method ${req.method} not allowed on ${pathname}`), pathMatched.style);
      return true;
    }
    return false;
  }
}

async function readRaw(req: http.IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

async function readJson(req: http.IncomingMessage): Promise<any> {
  const raw = await readRaw(req);
  if (raw.length === 0) return undefined;
  const text = raw.toString('utf8');
  if (!text.trim()) return undefined;
  return JSON.parse(text);
}

export function send(res: http.ServerResponse, status: number, body?: unknown, headers: Record<string, string> = {}): void {
  if (Buffer.isBuffer(body)) {
    res.writeHead(status, { 'content-type': 'application/octet-stream', 'content-length': String(body.length), ...headers });
    res.end(body);
    return;
  }
  if (status === 204 || status === 304 || body === undefined) {
    res.writeHead(status === 200 && body === undefined ? 200 : status, headers);
    res.end(status === 204 || status === 304 ? undefined : '{}');
    return;
  }
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', ...headers });
  res.end(text);
}

/** Render an error the way the owning Google API does. */
export function sendError(res: http.ServerResponse, err: unknown, style: ErrorStyle): void {
  const e = err instanceof EmulatorError ? err : new EmulatorError(Code.INTERNAL, (err as Error)?.message ?? String(err));
  let status = httpStatusOf(e.grpcCode);
  if (style === 'compute' && e.reason === 'conditionNotMet') status = 412;
  if (style === 'compute' && e.grpcCode === Code.FAILED_PRECONDITION && e.reason !== 'resourceInUseByAnotherResource') status = 412;
  // Cloud Storage answers failed preconditions (ifMetagenerationMatch, ...) with 412 too.
  if (style === 'storage' && e.grpcCode === Code.FAILED_PRECONDITION) status = 412;
  const headers: Record<string, string> = {};
  if (e.retryAfter) headers['retry-after'] = String(e.retryAfter);
  const reason = e.reason ?? defaultReason(e.grpcCode);
  let body: unknown;
  if (style === 'storage' && reason === 'conditionNotMet') {
    // Cloud Storage names the precondition's location as a header, even for the JSON
    // API's ifGenerationMatch query parameters (spec/storage.md, "Errors").
    const item = { domain: 'global', reason, message: e.message, locationType: 'header', location: 'If-Match' };
    body = { error: { code: status, message: e.message, errors: [item] } };
  } else if (style === 'compute' || style === 'storage') {
    body = { error: { code: status, message: e.message, errors: [{ domain: 'global', reason, message: e.message }] } };
  } else {
    body = { error: { code: status, message: e.message, status: codeName(e.grpcCode) } };
  }
  send(res, status, body, headers);
}

function defaultReason(code: number): string {
  switch (code) {
    case Code.NOT_FOUND: return 'notFound';
    case Code.ALREADY_EXISTS: return 'alreadyExists';
    case Code.FAILED_PRECONDITION: return 'conditionNotMet';
    case Code.RESOURCE_EXHAUSTED: return 'rateLimitExceeded';
    case Code.INVALID_ARGUMENT: return 'invalid';
    case Code.UNAVAILABLE: return 'backendError';
    default: return 'internalError';
  }
}
