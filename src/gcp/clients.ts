/**
 * Google Cloud clients, built lazily. The same official clients serve the real cloud
 * and the emulator; only construction differs (endpoint, port, credentials).
 * Heavy modules are required on first use so `validate` and `--help` stay fast.
 */
import { randomUUID } from 'node:crypto';
import { clientStamp } from '../package-root';
import { parseDurationMs } from '../util/duration';
import { RunctlError } from '../util/types';
import { clientClass } from './client-modules';
import type { TargetInfo } from './target-info';
import { apiError, credentialsMessage, GrpcCode, isConnectionRefused } from './errors';
import { useWaitOperation } from './lro-wait';
import { oneLine, reachEmulator, SLOW_RETRY_MS } from './preflight';
import { DEFAULT_RATE_LIMITS, quotaCall, RateLimiter, rateLimitsFor, type RateLimiterOptions, type RateLimits } from './rate-limit';
import { retrying, withRetry, type RetryHooks, type RetryOptions } from './retry';

/** Where the clients connect. */
export interface Endpoint {
  /** `emulator`: gRPC + HTTP on loopback; `google`: the real APIs with ADC. */
  mode: 'emulator' | 'google';
  /** gRPC host:port of the emulator. */
  grpc?: string;
  /** HTTP host:port of the emulator. */
  http?: string;
  /**
   * How the Cloud Run and Monitoring clients talk: gRPC (the default), or REST/JSON
   * over HTTP/1.1 (the clients' `fallback` mode; `--transport rest`), for networks
   * whose proxies block gRPC. Compute, Storage and Binary Authorization are REST always.
   */
  transport?: Transport;
}

/** The wire protocol of the gRPC-capable clients. */
export type Transport = 'grpc' | 'rest';

type RunV2 = typeof import('@google-cloud/run').v2;
type ComputeV1 = typeof import('@google-cloud/compute');
type MonitoringV3 = typeof import('@google-cloud/monitoring');
type SecretManagerV1 = typeof import('@google-cloud/secret-manager').v1;
type ArtifactRegistryV1 = typeof import('@google-cloud/artifact-registry').v1;
type SchedulerV1 = typeof import('@google-cloud/scheduler').v1;
type VpcAccessV1 = typeof import('@google-cloud/vpc-access').v1;
type ResourceManagerV3 = typeof import('@google-cloud/resource-manager').v3;

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
  /** Environment for credential messages (GOOGLE_APPLICATION_CREDENTIALS). @default process.env */
  env?: NodeJS.ProcessEnv;
  /**
   * Deadline of one Cloud Run or Monitoring call, ms (`RUNCTL_CALL_TIMEOUT`), instead of
   * the clients' per-method defaults (30 s for Monitoring writes). Compute keeps its own.
   */
  callTimeoutMs?: number;
}


/** Memo keys (their first word) of gax clients: rate-limited, write-guarded, retried. */
const GAX_APIS = new Set(['run', 'compute', 'monitoring', 'secretmanager', 'artifactregistry', 'scheduler', 'vpcaccess', 'resourcemanager']);
/** Memo keys of Google's discovery-based clients (`@googleapis/*`): one method per call, same guards. */
const DISCOVERY_APIS = new Set(['iam', 'runv1']);

/** Methods of gax clients that are not API calls. */
const NOT_CALLS = new Set(['close', 'initialize', 'getProjectId', 'warn']);
const MUTATING = /^(insert|patch|update|delete|set|add|remove|attach|detach|resize|invalidate)/;
/** Methods that change something, in any of the APIs (for `writeGuard`). */
const WRITES = /^(create|insert|patch|update|replace|delete|undelete|set|add|remove|attach|detach|resize|invalidate)/;

/**
 * Whether repeating a call is harmless. A Monitoring create without a client-chosen ID
 * (`createAlertPolicy`, `createNotificationChannel`, a `createService` without
 * `serviceId`) makes a new object each time it runs: after a deadline it must be looked
 * up, not sent again. Creates that name their object answer ALREADY_EXISTS when
 * repeated; Compute mutations carry a `requestId` the server deduplicates; gax's own
 * gRPC retry settings already mark these creates `non_idempotent`.
 */
export function idempotentCall(api: string, method: string, args: unknown[]): boolean {
  if (api !== 'monitoring' || !method.startsWith('create')) return true;
  const req = args[0];
  if (!req || typeof req !== 'object') return false;
  return Object.entries(req as Record<string, unknown>).some(([k, v]) => /Id$/.test(k) && typeof v === 'string' && v !== '');
}

/**
 * Client options for a target from the environment: rate limits (`RUNCTL_RATE_LIMITS`)
 * and the per-call deadline (`RUNCTL_CALL_TIMEOUT`, a duration such as `30s` or `800ms`).
 */
export function clientOptionsFor(mode: 'embedded' | 'emulator' | 'google', env: NodeJS.ProcessEnv): ClientOptions {
  const options: ClientOptions = { rateLimits: rateLimitsFor(mode, env) };
  const raw = env.RUNCTL_CALL_TIMEOUT;
  if (raw) {
    const ms = parseDurationMs(raw.trim()) ?? 0;
    if (!(ms > 0)) throw new RunctlError('Usage', `RUNCTL_CALL_TIMEOUT: cannot read "${raw}" as a duration (e.g. 30s, 800ms)`, { source: 'user' });
    options.callTimeoutMs = ms;
  }
  return options;
}

export class Clients {
  private cache = new Map<string, unknown>();
  /** The client-side rate limiter shared by every client of this target. */
  readonly limiter: RateLimiter;
  /**
   * Where "still trying" lines go while a call has been retrying for more than
   * SLOW_RETRY_MS (stderr for one-shot verbs, the log for loops). Unset: silent.
   */
  progress?: (line: string) => void;
  private lastProgress = 0;
  /** Application Default Credentials, shared by every client (one lookup, one token). */
  private auth?: import('google-auth-library').GoogleAuth;
  /** The credential check in flight, or settled successfully. */
  private credentialCheck?: Promise<void>;
  private credentialsOk = false;
  private reached = false;
  private reaching?: Promise<void>;
  private readonly env: NodeJS.ProcessEnv;
  /** Retry options of every call: `this.retry` plus the progress reporting. */
  private readonly callRetry: RetryOptions;
  /**
   * Called before every write (create, update, delete, IAM and policy changes); throws to
   * refuse it. A controller whose lease is lost fences its writes with it.
   */
  writeGuard?: () => void;

  constructor(readonly endpoint: Endpoint, readonly target?: TargetInfo, readonly retry: RetryOptions = {}, private readonly options: ClientOptions = {}) {
    this.limiter = new RateLimiter(options.rateLimits ?? (endpoint.mode === 'google' ? DEFAULT_RATE_LIMITS : {}), options.limiter);
    this.env = options.env ?? process.env;
    this.callRetry = { ...retry, onRetry: (err, attempt, delayMs, info) => {
      retry.onRetry?.(err, attempt, delayMs, info);
      this.reportSlow(err, attempt, delayMs, info);
    }, check: (err) => this.stillReachable(err) };
  }

  /**
   * Check, before the first API call, what would otherwise fail every call: Google
   * Cloud credentials (one clear error instead of one per call), or an emulator that
   * refuses connections (fail within seconds instead of retrying each call). Settles
   * once successfully; a failure is thrown (a RunctlError) and the next call checks
   * again, so loops recover once the cause is fixed.
   */
  async preflight(): Promise<void> {
    if (this.endpoint.mode === 'google') return this.credentialsReady();
    if (this.reached) return;
    await this.reachEmulator();
    this.reached = true;
  }

  /** One probe of the emulator at a time, shared by every call that asks. */
  private reachEmulator(): Promise<void> {
    if (!this.reaching) {
      // Probe the port the clients use: over REST that is the HTTP port (P+1).
      const [host, grpcPort] = splitHostPort(this.endpoint.grpc!);
      const port = this.endpoint.transport === 'rest' ? splitHostPort(this.endpoint.http!)[1] : grpcPort;
      this.reaching = reachEmulator(host, port, (line) => this.progress?.(line), grpcPort).finally(() => {
        this.reaching = undefined;
      });
    }
    return this.reaching;
  }

  /** A refused connection to an emulator: fail the call as Unreachable unless it answers again soon. */
  private stillReachable(err: unknown): Promise<void> | undefined {
    if (this.endpoint.mode === 'google' || !isConnectionRefused(err)) return undefined;
    return this.reachEmulator();
  }

  /** Resolves once Application Default Credentials load; undefined when known good (or not needed). */
  private credentialsReady(): Promise<void> | undefined {
    if (this.endpoint.mode !== 'google' || this.credentialsOk) return undefined;
    this.credentialCheck ??= this.googleAuth()
      .getClient()
      .then(
        () => {
          this.credentialsOk = true;
        },
        (err: unknown) => {
          this.credentialCheck = undefined;
          throw new RunctlError('NoCredentials', credentialsMessage(err, this.env), { source: 'user', cause: err });
        },
      );
    return this.credentialCheck;
  }

  /** The one GoogleAuth of this target (real Google Cloud only). */
  private googleAuth(): import('google-auth-library').GoogleAuth {
    if (!this.auth) {
      const { GoogleAuth } = require('google-auth-library') as typeof import('google-auth-library');
      this.auth = new GoogleAuth({ scopes: ['https://www.googleapis.com/auth/cloud-platform'] });
    }
    return this.auth;
  }

  /** One progress line (at most every SLOW_RETRY_MS) for a call retrying for long. */
  private reportSlow(err: unknown, attempt: number, delayMs: number, info: { elapsedMs: number; label?: string }): void {
    if (!this.progress || info.elapsedMs + delayMs < SLOW_RETRY_MS) return;
    const now = Date.now();
    if (now - this.lastProgress < SLOW_RETRY_MS) return;
    this.lastProgress = now;
    const what = info.label ? `${info.label}: ` : '';
    this.progress(`still trying ${what}attempt ${attempt} failed (${oneLine(apiError(err).message)}); retrying in ${(delayMs / 1000).toFixed(1)}s`);
  }

  /** Build once; API clients are wrapped so every call retries transient errors. */
  private memo<T>(key: string, make: () => T): T {
    if (!this.cache.has(key)) {
      const made = make() as unknown;
      const api = key.split('.')[0];
      const hooks = GAX_APIS.has(api) ? this.hooks(api) : DISCOVERY_APIS.has(api) ? this.discoveryHooks(api) : {};
      if (api === 'run') this.waitWithOperations(made);
      this.cache.set(key, made && typeof made === 'object' && !(made instanceof Promise) ? retrying(made as object, this.callRetry, hooks) : made);
    }
    return this.cache.get(key) as T;
  }

  /** Rate limiting for every API call; Compute writes get a `requestId` reused by retries. */
  private hooks(api: string): RetryHooks {
    return {
      before: (method, args) => {
        if (NOT_CALLS.has(method)) return undefined;
        if (WRITES.test(method)) this.writeGuard?.();
        const q = quotaCall(api, method, args[0]);
        const token = () => (this.limiter.has(q.group) ? this.limiter.acquire(q.group, q.scope) : undefined);
        // No call before the credentials load: a generated client whose stub failed to
        // authenticate rejects a promise nobody awaits on every later call.
        const ready = this.credentialsReady();
        return ready ? ready.then(async () => (await token()) ?? (() => {})) : token();
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
      idempotent: (method, args) => idempotentCall(api, method, args),
      timeoutMs: (method, args) => {
        if (NOT_CALLS.has(method)) return undefined;
        if (api !== 'compute') return this.options.callTimeoutMs;
        const explicit = (args[1] as { timeout?: unknown } | undefined)?.timeout;
        if (typeof explicit === 'number' && explicit > 0) return explicit;
        return method === 'wait' ? COMPUTE_WAIT_TIMEOUT_MS : REST_TIMEOUT_MS;
      },
    };
  }

  /**
   * Hooks for a discovery client's resource object (`iam.projects.serviceAccounts`):
   * its methods are `create`, `get`, `list`, `patch`, `delete`, `getIamPolicy`,
   * `setIamPolicy`, ... and each takes one params object.
   */
  private discoveryHooks(api: string): RetryHooks {
    return {
      before: (method, args) => {
        if (/^(create|patch|update|replace|delete|undelete|set|enable|disable)/.test(method)) this.writeGuard?.();
        const q = quotaCall(api, method, args[0]);
        const token = () => (this.limiter.has(q.group) ? this.limiter.acquire(q.group, q.scope) : undefined);
        const ready = this.credentialsReady();
        return ready ? ready.then(async () => (await token()) ?? (() => {})) : token();
      },
      failed: (method, args, err) => this.backOff(quotaCall(api, method, args[0]), err),
      timeoutMs: () => this.options.callTimeoutMs ?? REST_TIMEOUT_MS,
    };
  }

  /** Options for a discovery-based client (`@googleapis/*`): root URL and auth. */
  private discoveryOptions(rootUrl: string): Record<string, unknown> {
    if (this.endpoint.mode === 'google') return { rootUrl, auth: this.googleAuth() };
    const { PassThroughClient } = require('google-auth-library') as typeof import('google-auth-library');
    return { rootUrl: `http://${this.endpoint.http}/`, auth: new PassThroughClient() };
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
        }, { ...this.callRetry, label: 'waitOperation' }),
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

  /** Options for gRPC clients (Run, Monitoring); their REST/JSON fallback with `transport: 'rest'`. */
  grpcOptions(): Record<string, any> {
    if (this.endpoint.transport === 'rest') return { ...this.restOptions(), fallback: true };
    if (this.endpoint.mode === 'google') return { ...this.identity(), auth: this.googleAuth() };
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
    if (this.endpoint.mode === 'google') return { ...this.identity(), auth: this.googleAuth() };
    const [host, port] = splitHostPort(this.endpoint.http!);
    const { PassThroughClient } = require('google-auth-library') as typeof import('google-auth-library');
    return { ...this.identity(), apiEndpoint: host, port, protocol: 'http', authClient: new PassThroughClient() };
  }

  runServices(): InstanceType<RunV2['ServicesClient']> {
    return this.memo('run.services', () => {
      const Ctor = clientClass('@google-cloud/run', 'v2', 'ServicesClient') as RunV2['ServicesClient'];
      return new Ctor(this.grpcOptions());
    });
  }

  runRevisions(): InstanceType<RunV2['RevisionsClient']> {
    return this.memo('run.revisions', () => {
      const Ctor = clientClass('@google-cloud/run', 'v2', 'RevisionsClient') as RunV2['RevisionsClient'];
      return new Ctor(this.grpcOptions());
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

  /** Secret Manager (secrets, versions, their IAM policies). */
  secretManager(): InstanceType<SecretManagerV1['SecretManagerServiceClient']> {
    return this.memo('secretmanager', () => {
      const Ctor = clientClass('@google-cloud/secret-manager', 'v1', 'SecretManagerServiceClient') as SecretManagerV1['SecretManagerServiceClient'];
      return new Ctor(this.grpcOptions());
    });
  }

  /** Artifact Registry (repositories, their IAM policies, images). */
  artifactRegistry(): InstanceType<ArtifactRegistryV1['ArtifactRegistryClient']> {
    return this.memo('artifactregistry', () => {
      const Ctor = clientClass('@google-cloud/artifact-registry', 'v1', 'ArtifactRegistryClient') as ArtifactRegistryV1['ArtifactRegistryClient'];
      return new Ctor(this.grpcOptions());
    });
  }

  /** Cloud Scheduler jobs. */
  scheduler(): InstanceType<SchedulerV1['CloudSchedulerClient']> {
    return this.memo('scheduler', () => {
      const Ctor = clientClass('@google-cloud/scheduler', 'v1', 'CloudSchedulerClient') as SchedulerV1['CloudSchedulerClient'];
      return new Ctor(this.grpcOptions());
    });
  }

  /** Serverless VPC Access connectors. */
  vpcAccess(): InstanceType<VpcAccessV1['VpcAccessServiceClient']> {
    return this.memo('vpcaccess', () => {
      const Ctor = clientClass('@google-cloud/vpc-access', 'v1', 'VpcAccessServiceClient') as VpcAccessV1['VpcAccessServiceClient'];
      return new Ctor(this.grpcOptions());
    });
  }

  /** Resource Manager projects: the project IAM policy (`getIamPolicy`/`setIamPolicy` with etag). */
  projects(): InstanceType<ResourceManagerV3['ProjectsClient']> {
    return this.memo('resourcemanager.projects', () => {
      const Ctor = clientClass('@google-cloud/resource-manager', 'v3', 'ProjectsClient') as ResourceManagerV3['ProjectsClient'];
      return new Ctor(this.grpcOptions());
    });
  }

  /**
   * IAM service accounts (`projects.serviceAccounts`: create, get, list, patch, delete,
   * getIamPolicy, setIamPolicy) through `@googleapis/iam` v1, Google's only Node client
   * for them (REST).
   */
  iamServiceAccounts(): import('@googleapis/iam').iam_v1.Resource$Projects$Serviceaccounts {
    return this.memo('iam.serviceAccounts', () => {
      const { iam } = require('@googleapis/iam') as typeof import('@googleapis/iam');
      return iam({ version: 'v1', ...this.discoveryOptions('https://iam.googleapis.com/') } as import('@googleapis/iam').iam_v1.Options).projects.serviceAccounts;
    });
  }

  /**
   * Cloud Run v1 domain mappings (`namespaces.domainmappings`) through `@googleapis/run`
   * v1: the v2 API has none. The v1 namespaced methods are served only by the regional
   * endpoint `https://REGION-run.googleapis.com/`.
   */
  runDomainMappings(region: string): import('@googleapis/run').run_v1.Resource$Namespaces$Domainmappings {
    return this.memo(`runv1.domainmappings.${region}`, () => {
      const { run } = require('@googleapis/run') as typeof import('@googleapis/run');
      const rootUrl = `https://${region}-run.googleapis.com/`;
      // The emulator serves every region on one port and tells them apart as Google's front
      // end does, by the Host the call is addressed to (spec/domain-mappings.md).
      const headers = this.endpoint.mode === 'google' ? {} : { headers: { host: `${region}-run.googleapis.com` } };
      return run({ version: 'v1', ...this.discoveryOptions(rootUrl), ...headers } as import('@googleapis/run').run_v1.Options).namespaces.domainmappings;
    });
  }

  /** The Cloud Storage client. */
  storage(): import('@google-cloud/storage').Storage {
    return this.memo('storage', () => {
      const { Storage } = require('@google-cloud/storage') as typeof import('@google-cloud/storage');
      // The library retries idempotent requests itself (bucket objects are not wrapped
      // here); as many attempts as every other call gets.
      const retryOptions = { autoRetry: true, maxRetries: (this.retry.attempts ?? 6) - 1, maxRetryDelay: (this.retry.maxMs ?? 10_000) / 1000 };
      // Its own GoogleAuth: the library bundles another google-auth-library version.
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
    if (req.method !== 'GET') this.writeGuard?.();
    const root = this.endpoint.mode === 'google' ? apiRoot : `http://${this.endpoint.http}`;
    await this.credentialsReady();
    const client = await this.memo('rest.auth', async () => {
      const gal = require('google-auth-library') as typeof import('google-auth-library');
      if (this.endpoint.mode !== 'google') return new gal.PassThroughClient();
      return this.googleAuth().getClient();
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
    }, { ...this.callRetry, label: `${req.method} ${req.path}` });
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

export function splitHostPort(hostPort: string): [string, number] {
  const i = hostPort.lastIndexOf(':');
  return [hostPort.slice(0, i), Number(hostPort.slice(i + 1))];
}
