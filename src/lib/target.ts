/**
 * Choosing the target, by flags and environment only (never by manifest content):
 * RUNCTL_EMULATOR_HOST → that standalone emulator; --project / GOOGLE_CLOUD_PROJECT →
 * real Google Cloud with Application Default Credentials; otherwise an embedded
 * emulator whose state persists under `.runctl/`. Also the default project and region
 * for manifests that name none (flags, environment, then the gcloud configuration).
 */
import * as path from 'node:path';
import type { TargetInfo } from '../engine/controller';
import { clientOptionsFor, Clients, type Transport } from '../gcp/clients';
import { RunctlError } from '../util/types';
import { readGcloudDefaults } from '../gcp/gcloud-config';

export const DEFAULT_EMULATOR_PROJECT = 'local-project';
export const DEFAULT_REGION = 'us-central1';
/** The API root of real Google Cloud (the default universe), as saved plans record it. */
export const GOOGLE_API_ROOT = 'https://googleapis.com';

export interface TargetFlags {
  project?: string;
  region?: string;
  /** `--transport`: how the Cloud Run and Monitoring clients talk (the flag wins over RUNCTL_TRANSPORT). */
  transport?: string;
}

/**
 * The transport of the Cloud Run and Monitoring clients: `--transport`, else
 * `RUNCTL_TRANSPORT`, else gRPC. `rest` is REST/JSON over HTTP/1.1 (the clients'
 * fallback mode), for networks whose proxies block gRPC; results are the same.
 */
export function transportOf(flags: TargetFlags, env: NodeJS.ProcessEnv): Transport {
  const [value, source] = flags.transport ? [flags.transport, '--transport'] : env.RUNCTL_TRANSPORT ? [env.RUNCTL_TRANSPORT, 'RUNCTL_TRANSPORT'] : ['grpc', ''];
  const t = value.trim().toLowerCase();
  if (t === 'grpc' || t === 'rest') return t;
  throw new RunctlError('Usage', `${source}: unknown transport "${value}" (expected grpc or rest)`, { source: 'user' });
}

export interface Target {
  info: TargetInfo;
  clients: Clients;
  /** Release clients and stop an embedded emulator. */
  close(): Promise<void>;
}

export interface TargetEnv {
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Where the embedded emulator says that it attached to another process's. */
  stderr?: { write(s: string): unknown };
}

/** The default project and region, and where each came from (DESIGN.md "The manifest wins"). */
export function locationDefaults(flags: TargetFlags, env: NodeJS.ProcessEnv): Pick<TargetInfo, 'project' | 'region' | 'sources' | 'flags'> {
  const gcloud = readGcloudDefaults(env);
  const fromGcloud = `gcloud configuration "${gcloud.configuration}"`;
  const pick = (...options: Array<[string | undefined, string]>) => options.find(([v]) => !!v) ?? [undefined, undefined];
  const [project, projectSource] = pick([flags.project, '--project'], [env.GOOGLE_CLOUD_PROJECT, 'GOOGLE_CLOUD_PROJECT'], [gcloud.project, `${fromGcloud} (core/project)`]);
  const [region, regionSource] = pick([flags.region, '--region'], [env.CLOUDSDK_RUN_REGION, 'CLOUDSDK_RUN_REGION'], [gcloud.region, `${fromGcloud} (run/region)`]);
  return { project, region, sources: { project: projectSource, region: regionSource }, flags: { project: flags.project, region: flags.region } };
}

/**
 * Resolve the target without connecting (for messages and `validate`). The mode comes
 * from RUNCTL_EMULATOR_HOST, --project and GOOGLE_CLOUD_PROJECT only: the gcloud
 * configuration supplies defaults, never the decision to write to real Google Cloud.
 */
export function describeTarget(flags: TargetFlags, io: TargetEnv): TargetInfo {
  const emulatorHost = io.env.RUNCTL_EMULATOR_HOST;
  const defaults = locationDefaults(flags, io.env);
  if (emulatorHost) {
    const ep = emulatorEndpoints(emulatorHost);
    return { mode: 'emulator', description: `emulator at ${emulatorHost}`, endpoint: `grpc=${ep.grpc} http=${ep.http}`, ...defaults, fallbackProject: DEFAULT_EMULATOR_PROJECT, fallbackRegion: DEFAULT_REGION };
  }
  if (flags.project || io.env.GOOGLE_CLOUD_PROJECT) {
    return { mode: 'google', description: 'Google Cloud (Application Default Credentials)', endpoint: GOOGLE_API_ROOT, ...defaults, fallbackRegion: DEFAULT_REGION };
  }
  return {
    mode: 'embedded',
    description: `embedded emulator (state in ${path.relative(io.cwd, stateDir(io)) || '.'}/)`,
    // The embedded emulator listens on a new port each run: its state is its identity.
    endpoint: `embedded:${stateDir(io)}`,
    ...defaults,
    fallbackProject: DEFAULT_EMULATOR_PROJECT,
    fallbackRegion: DEFAULT_REGION,
  };
}

function stateDir(io: TargetEnv): string {
  return path.join(io.cwd, '.runctl', 'emulator');
}

/** Emulator endpoints from `RUNCTL_EMULATOR_HOST=127.0.0.1:P` (HTTP is P+1). */
export function emulatorEndpoints(hostPort: string): { grpc: string; http: string } {
  const i = hostPort.lastIndexOf(':');
  const host = hostPort.slice(0, i);
  const port = Number(hostPort.slice(i + 1));
  return { grpc: `${host}:${port}`, http: `${host}:${port + 1}` };
}

/** Connect to the target (starting the embedded emulator when needed). */
export async function openTarget(flags: TargetFlags, io: TargetEnv): Promise<Target> {
  const info = describeTarget(flags, io);
  const transport = transportOf(flags, io.env);
  if (info.mode === 'google') {
    const clients = new Clients({ mode: 'google', transport }, info, {}, clientOptionsFor(info.mode, io.env));
    return { info, clients, close: () => clients.close() };
  }
  if (info.mode === 'emulator') {
    const ep = emulatorEndpoints(io.env.RUNCTL_EMULATOR_HOST!);
    const clients = new Clients({ mode: 'emulator', ...ep, transport }, info, {}, clientOptionsFor(info.mode, io.env));
    return { info, clients, close: () => clients.close() };
  }
  return openEmbeddedTarget(info, io, transport);
}

/**
 * The embedded emulator of `.runctl/`: served by this process or by the runctl process
 * already serving it (`embedded.ts`); the clients follow it if it moves.
 */
async function openEmbeddedTarget(info: TargetInfo, io: TargetEnv, transport: Transport): Promise<Target> {
  const { openEmbedded } = require('./embedded') as typeof import('./embedded');
  const emb = await openEmbedded(stateDir(io), { stderr: io.stderr });
  const make = (ep: { grpc: string; http: string }) =>
    new Clients({ mode: 'emulator', grpc: ep.grpc, http: ep.http, transport }, info, {}, clientOptionsFor(info.mode, io.env));
  let clients = make(emb.endpoints);
  emb.onMove((ep) => {
    const old = clients;
    clients = make(ep);
    clients.writeGuard = old.writeGuard;
    clients.progress = old.progress;
    void old.close();
  });
  return {
    info,
    get clients() {
      return clients;
    },
    async close() {
      await clients.close();
      await emb.close();
    },
  };
}

/** The plan's first line. */
export function targetLine(info: TargetInfo, projects: string[]): string {
  const list = projects.length ? projects.join(', ') : info.project ?? info.fallbackProject ?? '(none)';
  return `Target: ${info.description} · project ${list}`;
}
