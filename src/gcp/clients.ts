/**
 * Google Cloud clients, built lazily. The same official clients serve the real cloud
 * and the emulator; only construction differs (endpoint, port, credentials).
 * Heavy modules are required on first use so `validate` and `--help` stay fast.
 */
import { randomUUID } from 'node:crypto';
import type { TargetInfo } from '../engine/controller';
import { clientStamp } from '../engine/ownership';
import { apiError, GrpcCode } from './errors';
import { useWaitOperation } from './lro-wait';
import { DEFAULT_RATE_LIMITS, quotaCall, RateLimiter, type RateLimiterOptions, type RateLimits } from './rate-limit';
import { retrying, withRetry, type RetryHooks, type RetryOptions } from './retry';

/** Where the clients connect. */
export interface Endpoint {
  /** `emulator`: gRPC + HTTP on loopback; `google`: the real APIs with ADC. */
  mode: 'emulator' | 'google';
  /** gRPC host:port of the emulator. */
  grpc?: string;
  /** HTTP host:port of the emulator. */
  http?: string;
}

type RunV2 = typeof import('@google-cloud/run').v2;
type ComputeV1 = typeof import('@google-cloud/compute');
type MonitoringV3 = typeof import('@google-cloud/monitoring');

/** Options for a plain authorized REST request (used for Binary Authorization). */
export interface RestRequest {
  method: 'GET' | 'PUT' | 'POST' | 'PATCH' | 'DELETE';
  /** Path below the API root, e.g. `/v1/projects/p/policy`. */
  path: string;
  body?: unknown;
}

/**
 * Timeout of one REST request, ms: `rest()` and the Compute clients (the gax REST
 * fallback ignores timeouts). gRPC clients carry per-method defaults from their
 * client configs (Cloud Run: 15 s for creates and updates, 10 s for reads).
 */
export const REST_TIMEOUT_MS = 60_000;
/** Compute `wait` blocks up to two minutes server-side. */
export const COMPUTE_WAIT_TIMEOUT_MS = 150_000;

/** Client-wide behaviour beyond the endpoint. */
export interface ClientOptions {
  /**
   * Client-side rate limits per quota group (see `rate-limit.ts`). Default: Cloud Run's
   * quotas for real Google Cloud; none for emulators (they enforce only the quotas they
   * are told to, and a local run should not wait on a quota that does not exist).
   */
  rateLimits?: RateLimits;
  /** Window and margin of the limiter (tests shorten the minute). */
  limiter?: RateLimiterOptions;
}

/** Methods of gax clients that are not API calls. */
const NOT_CALLS = new Set(['close', 'initialize', 'getProjectId', 'warn']);
const MUTATING = /^(insert|patch|update|delete|set|add|remove|attach|detach|resize|invalidate)/;

export class Clients {
  private cache = new Map<string, unknown>();
  /** The client-side rate limiter shared by every client of this target. */
  readonly limiter: RateLimiter;

  constructor(readonly endpoint: Endpoint, readonly target?: TargetInfo, readonly retry: RetryOptions = {}, options: ClientOptions = {}) {
    this.limiter = new RateLimiter(options.rateLimits ?? (endpoint.mode === 'google' ? DEFAULT_RATE_LIMITS : {}), options.limiter);
  }

  /** Build once; API clients are wrapped so every call retries transient errors. */
  private memo<T>(key: string, make: () => T): T {
    if (!this.cache.has(key)) {
      const made = make() as unknown;
      const api = key.split('.')[0];
      const hooks = ['run', 'compute', 'monitoring'].includes(api) ? this.hooks(api) : {};
      if (api === 'run') this.waitWithOperations(made);
      this.cache.set(key, made && typeof made === 'object' && !(made instanceof Promise) ? retrying(made as object, this.retry, hooks) : made);
    }
    return this.cache.get(key) as T;
  }

  /** Rate limiting for every API call; Compute writes get a `requestId` reused by retries. */
  private hooks(api: string): RetryHooks {
    return {
      before: (method, args) => {
        if (NOT_CALLS.has(method)) return undefined;
        const q = quotaCall(api, method, args[0]);
        return this.limiter.has(q.group) ? this.limiter.acquire(q.group, q.scope) : undefined;
      },
      failed: (method, args, err) => this.backOff(quotaCall(api, method, args[0]), err),
      prepare: (method, args) => {
        // Compute dedups a retried mutation by requestId: the retry returns the first
        // request's operation instead of acting twice (gcp-apis.md §3.3).
        if (api !== 'compute' || !MUTATING.test(method)) return args;
        const req = args[0];
        if (!req || typeof req !== 'object' || (req as any).requestId) return args;
        return [{ ...(req as object), requestId: randomUUID() }, ...args.slice(1)];
      },
      timeoutMs: (method, args) => {
        if (api !== 'compute' || NOT_CALLS.has(method)) return undefined;
        const explicit = (args[1] as { timeout?: unknown } | undefined)?.timeout;
        if (typeof explicit === 'number' && explicit > 0) return explicit;
        return method === 'wait' ? COMPUTE_WAIT_TIMEOUT_MS : REST_TIMEOUT_MS;
      },
    };
  }

  /** The server said RESOURCE_EXHAUSTED with Retry-After: stop the whole group, not just this call. */
  private backOff(q: { group: string; scope?: string }, err: unknown): void {
    const info = apiError(err);
    if (info.code === GrpcCode.RESOURCE_EXHAUSTED && info.retryAfter) this.limiter.pause(q.group, q.scope, info.retryAfter * 1000);
  }

  /** Cloud Run operations: one WaitOperation per operation instead of GetOperation polling. */
  private waitWithOperations(client: unknown): void {
    useWaitOperation(client, {
      call: (name, fn) =>
        withRetry(async () => {
          const q = quotaCall('run', 'waitOperation', { name });
          try {
            return await this.limiter.run(q.group, q.scope, fn);
          } catch (err) {
            this.backOff(q, err);
            throw err;
          }
        }, this.retry),
    });
  }

  /**
   * Every official client adds `runctl/VERSION` to its `x-goog-api-client` header, so
   * the APIs (and their audit logs) can tell runctl's calls from other tools'.
   */
  private identity(): { libName: string; libVersion: string } {
    const { client, clientVersion } = clientStamp();
    return { libName: client, libVersion: clientVersion };
  }

  /** Options for gRPC clients (Run, Monitoring). */
  grpcOptions(): Record<string, any> {
    if (this.endpoint.mode === 'google') return this.identity();
    const [host, port] = splitHostPort(this.endpoint.grpc!);
    const gax = require('google-gax') as typeof import('google-gax');
    const { PassThroughClient } = require('google-auth-library') as typeof import('google-auth-library');
    return {
      ...this.identity(),
      apiEndpoint: host,
      port,
      sslCreds: gax.grpc.credentials.createInsecure(),
      authClient: new PassThroughClient(),
    };
  }

  /** Options for REST clients (Compute always uses the REST fallback). */
  restOptions(): Record<string, any> {
    if (this.endpoint.mode === 'google') return this.identity();
    const [host, port] = splitHostPort(this.endpoint.http!);
    const { PassThroughClient } = require('google-auth-library') as typeof import('google-auth-library');
    return { ...this.identity(), apiEndpoint: host, port, protocol: 'http', authClient: new PassThroughClient() };
  }

  runServices(): InstanceType<RunV2['ServicesClient']> {
    return this.memo('run.services', () => {
      const run = require('@google-cloud/run') as typeof import('@google-cloud/run');
      return new run.v2.ServicesClient(this.grpcOptions());
    });
  }

  runRevisions(): InstanceType<RunV2['RevisionsClient']> {
    return this.memo('run.revisions', () => {
      const run = require('@google-cloud/run') as typeof import('@google-cloud/run');
      return new run.v2.RevisionsClient(this.grpcOptions());
    });
  }

  /** A Compute Engine client by class name, e.g. `compute('BackendServicesClient')`. */
  compute<K extends keyof ComputeV1 & `${string}Client`>(name: K): InstanceType<Extract<ComputeV1[K], new (...a: any[]) => any>> {
    return this.memo(`compute.${name}`, () => {
      const Ctor = clientClass('@google-cloud/compute', 'v1', name);
      return new Ctor(this.restOptions());
    }) as any;
  }

  /** A Cloud Monitoring client by class name, e.g. `monitoring('AlertPolicyServiceClient')`. */
  monitoring<K extends keyof MonitoringV3 & `${string}Client`>(name: K): InstanceType<Extract<MonitoringV3[K], new (...a: any[]) => any>> {
    return this.memo(`monitoring.${name}`, () => {
      const Ctor = clientClass('@google-cloud/monitoring', 'v3', name);
      return new Ctor(this.grpcOptions());
    }) as any;
  }

  /** The Cloud Storage client. */
  storage(): import('@google-cloud/storage').Storage {
    return this.memo('storage', () => {
      const { Storage } = require('@google-cloud/storage') as typeof import('@google-cloud/storage');
      // The library retries idempotent requests itself (bucket objects are not wrapped
      // here); as many attempts as every other call gets.
      const retryOptions = { autoRetry: true, maxRetries: (this.retry.attempts ?? 6) - 1, maxRetryDelay: (this.retry.maxMs ?? 10_000) / 1000 };
      if (this.endpoint.mode === 'google') return new Storage({ retryOptions });
      return new Storage({
        retryOptions,
        apiEndpoint: `http://${this.endpoint.http}`,
        projectId: this.target?.project ?? this.target?.fallbackProject ?? 'local-project',
        // The emulator needs no credentials; this avoids any metadata-server probe.
        authClient: new (require('google-auth-library').PassThroughClient)(),
      } as any);
    });
  }

  /**
   * An authorized REST request against a Google API root (e.g.
   * `https://binaryauthorization.googleapis.com`) or the emulator's HTTP port.
   */
  async rest<T = any>(apiRoot: string, req: RestRequest): Promise<T> {
    const root = this.endpoint.mode === 'google' ? apiRoot : `http://${this.endpoint.http}`;
    const client = await this.memo('rest.auth', async () => {
      const gal = require('google-auth-library') as typeof import('google-auth-library');
      if (this.endpoint.mode !== 'google') return new gal.PassThroughClient();
      return new gal.GoogleAuth({ scopes: ['https://www.googleapis.com/auth/cloud-platform'] }).getClient();
    });
    const q = quotaCall(apiRoot.includes('binaryauthorization') ? 'binauthz' : 'rest', req.method === 'GET' ? 'get' : 'update');
    const res = await withRetry(async () => {
      try {
        return await this.limiter.run(q.group, q.scope, (): Promise<{ data: unknown }> =>
          (client as any).request({ url: `${root}${req.path}`, method: req.method, data: req.body, retry: false, timeout: REST_TIMEOUT_MS }),
        );
      } catch (err) {
        this.backOff(q, err);
        throw err;
      }
    }, this.retry);
    return res.data as T;
  }

  /** Close gRPC channels so the process can exit promptly. */
  async close(): Promise<void> {
    for (const c of this.cache.values()) {
      const closable = c as { close?: () => Promise<void> };
      if (closable && typeof closable.close === 'function') {
        try {
          await closable.close();
        } catch {
          /* closing is best effort */
        }
      }
    }
    this.cache.clear();
  }
}

/**
 * A client class from its own module (`build/src/v1/backend_services_client`) rather
 * than the package index: `@google-cloud/compute`'s index loads every one of its ~100
 * clients and a 30 MB protos.js, about a second of every cold start.
 */
function clientClass(pkg: string, version: string, name: string): new (o: unknown) => unknown {
  const file = `${name.replace(/Client$/, '').replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase()}_client`;
  let mod: Record<string, unknown>;
  try {
    mod = require(`${pkg}/build/src/${version}/${file}`);
  } catch {
    mod = require(pkg);
  }
  const Ctor = mod[name] ?? (require(pkg) as Record<string, unknown>)[name];
  return Ctor as new (o: unknown) => unknown;
}

export function splitHostPort(hostPort: string): [string, number] {
  const i = hostPort.lastIndexOf(':');
  return [hostPort.slice(0, i), Number(hostPort.slice(i + 1))];
}
