/**
 * Google Cloud clients, built lazily. The same official clients serve the real cloud
 * and the emulator; only construction differs (endpoint, port, credentials).
 * Heavy modules are required on first use so `validate` and `--help` stay fast.
 */
import type { TargetInfo } from '../engine/controller';
import { retrying, type RetryOptions } from './retry';

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

export class Clients {
  private cache = new Map<string, unknown>();

  constructor(readonly endpoint: Endpoint, readonly target?: TargetInfo, readonly retry: RetryOptions = {}) {}

  /** Build once; API clients are wrapped so every call retries transient errors. */
  private memo<T>(key: string, make: () => T): T {
    if (!this.cache.has(key)) {
      const made = make() as unknown;
      this.cache.set(key, made && typeof made === 'object' && !(made instanceof Promise) ? retrying(made as object, this.retry) : made);
    }
    return this.cache.get(key) as T;
  }

  /** Options for gRPC clients (Run, Monitoring). */
  grpcOptions(): Record<string, any> {
    if (this.endpoint.mode === 'google') return {};
    const [host, port] = splitHostPort(this.endpoint.grpc!);
    const gax = require('google-gax') as typeof import('google-gax');
    const { PassThroughClient } = require('google-auth-library') as typeof import('google-auth-library');
    return {
      apiEndpoint: host,
      port,
      sslCreds: gax.grpc.credentials.createInsecure(),
      authClient: new PassThroughClient(),
    };
  }

  /** Options for REST clients (Compute always uses the REST fallback). */
  restOptions(): Record<string, any> {
    if (this.endpoint.mode === 'google') return {};
    const [host, port] = splitHostPort(this.endpoint.http!);
    const { PassThroughClient } = require('google-auth-library') as typeof import('google-auth-library');
    return { apiEndpoint: host, port, protocol: 'http', authClient: new PassThroughClient() };
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
      const compute = require('@google-cloud/compute') as ComputeV1;
      const Ctor = compute[name] as unknown as new (o: unknown) => unknown;
      return new Ctor(this.restOptions());
    }) as any;
  }

  /** A Cloud Monitoring client by class name, e.g. `monitoring('AlertPolicyServiceClient')`. */
  monitoring<K extends keyof MonitoringV3 & `${string}Client`>(name: K): InstanceType<Extract<MonitoringV3[K], new (...a: any[]) => any>> {
    return this.memo(`monitoring.${name}`, () => {
      const mon = require('@google-cloud/monitoring') as MonitoringV3;
      const Ctor = mon[name] as unknown as new (o: unknown) => unknown;
      return new Ctor(this.grpcOptions());
    }) as any;
  }

  /** The Cloud Storage client. */
  storage(): import('@google-cloud/storage').Storage {
    return this.memo('storage', () => {
      const { Storage } = require('@google-cloud/storage') as typeof import('@google-cloud/storage');
      if (this.endpoint.mode === 'google') return new Storage();
      return new Storage({
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
    const res = await (client as any).request({
      url: `${root}${req.path}`,
      method: req.method,
      data: req.body,
      retry: false,
    });
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
