/**
 * The emulator's generic HTTP/JSON <-> gRPC transcoder. A REST call is matched against
 * the `google.api.http` bindings of every API package (rules.ts), its request message
 * is built from path, body and query (request.ts) in the proto3 JSON mapping, encoded
 * to protobuf and decoded by the gRPC method's own deserializer, and handed to the very
 * handler the gRPC server runs (registry.ts): both transports share state, stats,
 * latency and faults. The answer goes back the same way, as proto3 JSON; errors become
 * Google's JSON error body with the HTTP status of their gRPC code. Behaviour:
 * spec/rest.md.
 */
import type * as http from 'node:http';
import type * as protobuf from 'protobufjs';
import { Code, codeName, EmulatorError, httpStatusOf } from '../errors';
import { grpc } from '../grpc';
import { send } from '../http';
import type { GrpcRegistry, RegisteredMethod } from './registry';
import { requestJson } from './request';
import { restMethods, type HttpBinding, type RestMethod } from './rules';
import { matchTemplate } from './template';

type Serializer = typeof import('proto3-json-serializer');
// proto3-json-serializer is google-gax's own proto3 JSON mapping (the one the clients'
// REST fallback speaks); required lazily so the gRPC-only paths never load it.
const serializer = (): Serializer => require('proto3-json-serializer') as Serializer;

/** A binding ready for matching, with its method. */
interface Route {
  method: RestMethod;
  binding: HttpBinding;
}

/** Request headers that are HTTP plumbing, not call metadata. */
const NOT_METADATA = new Set(['host', 'connection', 'content-length', 'content-type', 'accept', 'accept-encoding', 'transfer-encoding', 'keep-alive']);

/** A gRPC error as the handlers report it. */
interface GrpcError {
  code?: number;
  details?: string;
  message?: string;
  metadata?: import('@grpc/grpc-js').Metadata;
}

export class RestTranscoder {
  private readonly routes: Route[];

  /**
   * `registry`: the gRPC methods to dispatch to; `calls`: counts of the calls served
   * over REST by `<Service>.<Method>` (`GET /__emulator/rest/stats`).
   */
  constructor(private readonly registry: GrpcRegistry, private readonly calls: Record<string, number> = {}) {
    // Bindings with a custom verb first: `.../services/s:getIamPolicy` is never a GetService.
    this.routes = restMethods()
      .flatMap((method) => method.bindings.map((binding) => ({ method, binding })))
      .sort((a, b) => Number(!!b.binding.template.verb) - Number(!!a.binding.template.verb));
  }

  /** The route of a request, or undefined when no API binds that method and path. */
  match(httpMethod: string, rawPath: string): { route: Route; values: Record<string, string> } | undefined {
    for (const route of this.routes) {
      if (route.binding.httpMethod !== httpMethod) continue;
      const values = matchTemplate(route.binding.template, rawPath);
      if (values) return { route, values };
    }
    return undefined;
  }

  /**
   * The answer in proto3 JSON. A mixin method (`google.longrunning.Operations`) is bound
   * by several API packages at one path, and the `google.protobuf.Any` payloads of its
   * answer resolve only in the descriptor of the package whose operation it is: each
   * package's response type is tried until one knows the payload's type.
   */
  private responseJson(route: Route, bytes: Buffer, numericEnums: boolean): Record<string, unknown> | undefined {
    const types = [route.method.responseType, ...this.routes.filter((r) => r.method.grpcPath === route.method.grpcPath).map((r) => r.method.responseType)];
    let firstError: unknown;
    for (const type of [...new Set(types)]) {
      try {
        const message = type.decode(bytes);
        return dropEmpty(type, serializer().toProto3JSON(message as protobuf.Message, { numericEnums }) as Record<string, unknown>);
      } catch (err) {
        firstError ??= err;
        if (!/cannot find type/.test(String((err as Error)?.message))) throw err;
      }
    }
    throw firstError;
  }

  /**
   * Serve a request when an API binds it; false otherwise (the caller answers
   * UNIMPLEMENTED). A bound method the emulator does not implement answers
   * UNIMPLEMENTED naming the method.
   */
  async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<boolean> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const found = this.match(req.method ?? 'GET', url.pathname);
    if (!found) return false;
    const rawBody = await readRaw(req);
    const { route, values } = found;
    const numericEnums = /enum-encoding=int/.test(url.searchParams.get('$alt') ?? url.searchParams.get('alt') ?? '');
    try {
      const alt = url.searchParams.get('$alt') ?? url.searchParams.get('alt');
      if (alt && !alt.startsWith('json')) throw new EmulatorError(Code.INVALID_ARGUMENT, `The emulator answers alt=json only (got alt=${alt}).`);
      const impl = this.registry.get(route.method.grpcPath);
      if (!impl) {
        throw new EmulatorError(Code.UNIMPLEMENTED, `Method ${route.method.fullName} is not implemented by the emulator (${req.method} ${url.pathname}).`);
      }
      const key = route.method.fullName.split('.').slice(-2).join('.');
      this.calls[key] = (this.calls[key] ?? 0) + 1;
      const body = parseBody(rawBody);
      const json = requestJson(route.method.requestType, { pathValues: values, query: url.searchParams, body, bodyField: route.binding.body });
      const request = toRequest(route.method.requestType, impl, json);
      const answer = await invoke(impl, request, metadataOf(req));
      let out = this.responseJson(route, impl.responseSerialize(answer), numericEnums);
      if (route.binding.responseBody) out = (out?.[route.binding.responseBody] ?? {}) as Record<string, unknown>;
      send(res, 200, out ?? {});
    } catch (err) {
      sendGoogleError(res, err);
    }
    return true;
  }
}

/**
 * Leave out empty maps and lists, as Google's JSON does (protobufjs messages carry
 * them as `{}` and `[]`, and the serializer prints them).
 */
function dropEmpty(type: protobuf.Type, json: Record<string, unknown>): Record<string, unknown> {
  if (!json || typeof json !== 'object') return json;
  for (const field of type.fieldsArray) {
    const v = json[field.name];
    if (v === undefined || v === null) continue;
    const nested = field.resolvedType && 'fieldsArray' in field.resolvedType ? (field.resolvedType as protobuf.Type) : undefined;
    if (field.map || field.repeated) {
      if ((Array.isArray(v) && v.length === 0) || (!Array.isArray(v) && typeof v === 'object' && Object.keys(v).length === 0)) {
        delete json[field.name];
        continue;
      }
    }
    // Well-known types (Any, Struct, Timestamp, ...) have their own JSON forms: leave them.
    if (!nested || nested.fullName.startsWith('.google.protobuf.')) continue;
    if (field.map) for (const item of Object.values(v as Record<string, unknown>)) dropEmpty(nested, item as Record<string, unknown>);
    else if (field.repeated) for (const item of v as unknown[]) dropEmpty(nested, item as Record<string, unknown>);
    else dropEmpty(nested, v as Record<string, unknown>);
  }
  return json;
}

async function readRaw(req: http.IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

function parseBody(raw: Buffer): unknown {
  const text = raw.toString('utf8');
  if (!text.trim()) return undefined;
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new EmulatorError(Code.INVALID_ARGUMENT, `Invalid JSON payload received. ${(err as Error).message}`);
  }
}

/** proto3 JSON -> protobuf bytes -> the request object the gRPC handler would get. */
function toRequest(type: protobuf.Type, impl: RegisteredMethod, json: Record<string, unknown>): unknown {
  let message: protobuf.Message | null;
  try {
    message = serializer().fromProto3JSON(type, json as import('proto3-json-serializer').JSONObject);
  } catch (err) {
    throw new EmulatorError(Code.INVALID_ARGUMENT, `Invalid JSON payload received. ${(err as Error).message}`);
  }
  if (!message) throw new EmulatorError(Code.INVALID_ARGUMENT, 'Invalid JSON payload received. Expected an object.');
  return impl.requestDeserialize(Buffer.from(type.encode(message).finish()));
}

/** The call's metadata, from its headers (the handlers read principals and routing params there). */
function metadataOf(req: http.IncomingMessage): import('@grpc/grpc-js').Metadata {
  const md = new grpc.Metadata();
  for (const [key, value] of Object.entries(req.headers)) {
    if (NOT_METADATA.has(key) || key.endsWith('-bin') || value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) {
      try {
        md.add(key, v);
      } catch {
        /* a header gRPC metadata cannot carry is not a call parameter */
      }
    }
  }
  return md;
}

/** Run the unary handler as the gRPC server would. */
function invoke(impl: RegisteredMethod, request: unknown, metadata: import('@grpc/grpc-js').Metadata): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const call = { request, metadata, cancelled: false, getPeer: () => 'rest', getDeadline: () => Infinity, on: () => call, once: () => call } as unknown;
    impl.handler(call as Parameters<RegisteredMethod['handler']>[0], (err, value) => (err ? reject(err) : resolve(value ?? {})));
  });
}

/** Google's JSON error body: `{"error": {"code": HTTP, "message", "status": "NOT_FOUND"}}`. */
export function sendGoogleError(res: http.ServerResponse, err: unknown): void {
  const e = err as GrpcError & Partial<EmulatorError>;
  const code = typeof e.grpcCode === 'number' ? e.grpcCode : typeof e.code === 'number' ? e.code : Code.UNKNOWN;
  const message = e.details ?? e.message ?? String(err);
  const status = httpStatusOf(code);
  const headers: Record<string, string> = {};
  const retryAfter = e.retryAfter ?? e.metadata?.get('retry-after')?.[0];
  if (retryAfter !== undefined) headers['retry-after'] = String(retryAfter);
  // Google leaves `details` out when it has none to give.
  send(res, status, { error: { code: status, message, status: codeName(code) } }, headers);
}

/**
 * The answer to a request no API binds (difference 12 of issue 13): UNIMPLEMENTED
 * naming the method and path, never NOT_FOUND, so a client does not read "absent".
 */
export function sendUnimplemented(res: http.ServerResponse, method: string, path: string): void {
  sendGoogleError(res, new EmulatorError(Code.UNIMPLEMENTED, `Method ${method} ${path} is not implemented by the emulator.`));
}
