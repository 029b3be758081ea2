/** `emulator --port P [--state DIR]`: the local Google Cloud emulator, standalone. */
import * as path from 'node:path';
import { durationSeconds } from '../../util/duration';
import { RunctlError } from '../../engine/types';
import type { Io } from '../../lib/io';
import { isSeed } from '../../emulator/random';
import { ORG_POLICIES } from '../../emulator/org-policy';
import { parseFault, parseMethodLatency, parseQuota } from './emulator-faults';

export interface EmulatorFlags {
  port?: string;
  state?: string;
  latency?: string;
  operationLatency?: string;
  timeScale?: string;
  trafficRps?: string;
  attested?: string[];
  /** Organisation policy constraints to enforce (`domain-restricted-sharing`), repeatable. */
  orgPolicy?: string[];
  /** Domains verified for Cloud Run domain mappings, repeatable. */
  verifiedDomain?: string[];
  /** `METHOD=CODE[:RATE]` (repeatable). */
  fault?: string[];
  /** `METHOD=CODE[:RATE]` for long-running operations (repeatable). */
  operationFault?: string[];
  /** `METHOD=DURATION[+JITTER]` (repeatable). */
  methodLatency?: string[];
  /** `GROUP[:read|write]=N/min` (repeatable). */
  quota?: string[];
  /** Seed of fault injection's random choices (an integer in [0, 2^32)). */
  seed?: string;
  /** Key file sealing Secret Manager payloads at rest (outside the state directory). */
  secretKeyFile?: string;
}

function ms(flag: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const secs = durationSeconds(v);
  if (!Number.isFinite(secs) || secs < 0) throw new RunctlError('Usage', `--${flag}: not a duration: ${v} (examples: 50ms, 2s, 1m)`, { source: 'user' });
  return secs * 1000;
}

function num(flag: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new RunctlError('Usage', `--${flag}: not a number: ${v}`, { source: 'user' });
  return n;
}

function seed(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = /^\d+$/.test(v) ? Number(v) : NaN;
  if (!isSeed(n)) throw new RunctlError('Usage', `--seed: not an integer from 0 to 4294967295: ${v}`, { source: 'user' });
  return n;
}

export async function emulatorCommand(flags: EmulatorFlags, io: Io): Promise<number> {
  // Parse every rule before starting, so a typo fails fast with exit 1.
  const faults = [
    ...(flags.fault ?? []).map((v) => parseFault(v)),
    ...(flags.operationFault ?? []).map((v) => parseFault(v, true)),
    ...(flags.methodLatency ?? []).map(parseMethodLatency),
  ];
  const quotas = (flags.quota ?? []).map(parseQuota);
  const seedValue = seed(flags.seed);
  for (const p of flags.orgPolicy ?? []) {
    if (!(ORG_POLICIES as readonly string[]).includes(p)) throw new RunctlError('Usage', `--org-policy: unknown constraint ${p} (known: ${ORG_POLICIES.join(', ')})`, { source: 'user' });
  }
  const { startEmulator } = require('../../emulator/server') as typeof import('../../emulator/server');
  const emu = await startEmulator({
    port: num('port', flags.port) ?? 0,
    stateDir: flags.state ? path.resolve(io.cwd, flags.state) : undefined,
    latencyMs: ms('latency', flags.latency),
    operationLatencyMs: ms('operation-latency', flags.operationLatency),
    timeScale: num('time-scale', flags.timeScale),
    trafficRps: num('traffic-rps', flags.trafficRps),
    attested: flags.attested,
    orgPolicies: flags.orgPolicy,
    verifiedDomains: flags.verifiedDomain?.map((d) => d.toLowerCase()),
    seed: seedValue,
    secretKeyFile: flags.secretKeyFile ? path.resolve(io.cwd, flags.secretKeyFile) : undefined,
  });
  emu.core.faults.push(...faults);
  emu.core.quotas.push(...quotas);
  io.stdout.write(`${emu.banner}\n`);
  await new Promise<void>((resolve) => {
    if (io.signal) {
      if (io.signal.aborted) resolve();
      io.signal.addEventListener('abort', () => resolve(), { once: true });
    } else {
      process.once('SIGINT', () => resolve());
      process.once('SIGTERM', () => resolve());
    }
  });
  await emu.stop();
  return 0;
}
