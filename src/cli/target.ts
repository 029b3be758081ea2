/**
 * Choosing the target, by flags and environment only (never by manifest content):
 * RUNCTL_EMULATOR_HOST → that standalone emulator; --project / GOOGLE_CLOUD_PROJECT →
 * real Google Cloud with Application Default Credentials; otherwise an embedded
 * emulator whose state persists under `.runctl/`.
 */
import * as path from 'node:path';
import type { TargetInfo } from '../engine/controller';
import { Clients } from '../gcp/clients';
import { rateLimitsFor } from '../gcp/rate-limit';
import type { RunningEmulator } from '../emulator/server';

export const DEFAULT_EMULATOR_PROJECT = 'local-project';
export const DEFAULT_REGION = 'us-central1';

export interface TargetFlags {
  project?: string;
  region?: string;
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
}

/** Resolve the target without connecting (for messages and `validate`). */
export function describeTarget(flags: TargetFlags, io: TargetEnv): TargetInfo {
  const emulatorHost = io.env.RUNCTL_EMULATOR_HOST;
  const project = flags.project ?? io.env.GOOGLE_CLOUD_PROJECT ?? undefined;
  const region = flags.region ?? io.env.CLOUDSDK_RUN_REGION ?? undefined;
  if (emulatorHost) {
    return { mode: 'emulator', description: `emulator at ${emulatorHost}`, project, region, fallbackProject: DEFAULT_EMULATOR_PROJECT, fallbackRegion: DEFAULT_REGION };
  }
  if (project) {
    return { mode: 'google', description: 'Google Cloud (Application Default Credentials)', project, region, fallbackRegion: DEFAULT_REGION };
  }
  return {
    mode: 'embedded',
    description: `embedded emulator (state in ${path.relative(io.cwd, stateDir(io)) || '.'}/)`,
    project,
    region,
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
  if (info.mode === 'google') {
    const clients = new Clients({ mode: 'google' }, info, {}, { rateLimits: rateLimitsFor(info.mode, io.env) });
    return { info, clients, close: () => clients.close() };
  }
  if (info.mode === 'emulator') {
    const ep = emulatorEndpoints(io.env.RUNCTL_EMULATOR_HOST!);
    const clients = new Clients({ mode: 'emulator', ...ep }, info, {}, { rateLimits: rateLimitsFor(info.mode, io.env) });
    return { info, clients, close: () => clients.close() };
  }
  const { startEmulator } = require('../emulator/server') as typeof import('../emulator/server');
  const emu: RunningEmulator = await startEmulator({ port: 0, stateDir: stateDir(io) });
  const clients = new Clients({ mode: 'emulator', grpc: emu.grpc, http: emu.http }, info, {}, { rateLimits: rateLimitsFor(info.mode, io.env) });
  return {
    info,
    clients,
    async close() {
      await clients.close();
      await emu.stop();
    },
  };
}

/** The plan's first line. */
export function targetLine(info: TargetInfo, projects: string[]): string {
  const list = projects.length ? projects.join(', ') : info.project ?? info.fallbackProject ?? '(none)';
  return `Target: ${info.description} · project ${list}`;
}
