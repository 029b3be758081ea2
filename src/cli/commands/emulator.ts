/** `emulator --port P [--state DIR]`: the local Google Cloud emulator, standalone. */
import * as path from 'node:path';
import { parseDuration } from '../../../controllers/lib/quantity';
import { RunctlError } from '../../engine/types';
import type { Io } from '../io';

export interface EmulatorFlags {
  port?: string;
  state?: string;
  latency?: string;
  operationLatency?: string;
  timeScale?: string;
  trafficRps?: string;
  attested?: string[];
}

function ms(flag: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const secs = parseDuration(v);
  if (!Number.isFinite(secs) || secs < 0) throw new RunctlError('Usage', `--${flag}: not a duration: ${v} (examples: 50ms, 2s, 1m)`, { source: 'user' });
  return secs * 1000;
}

function num(flag: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new RunctlError('Usage', `--${flag}: not a number: ${v}`, { source: 'user' });
  return n;
}

export async function emulatorCommand(flags: EmulatorFlags, io: Io): Promise<number> {
  const { startEmulator } = require('../../emulator/server') as typeof import('../../emulator/server');
  const emu = await startEmulator({
    port: num('port', flags.port) ?? 0,
    stateDir: flags.state ? path.resolve(io.cwd, flags.state) : undefined,
    latencyMs: ms('latency', flags.latency),
    operationLatencyMs: ms('operation-latency', flags.operationLatency),
    timeScale: num('time-scale', flags.timeScale),
    trafficRps: num('traffic-rps', flags.trafficRps),
    attested: flags.attested,
  });
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
