/**
 * Finding out early that a target cannot work: an emulator endpoint nothing listens on
 * is probed for a short while (it may be starting) and then reported as one error
 * naming the endpoint and the likely fix, instead of every call retrying for minutes.
 */
import * as net from 'node:net';
import { RunctlError } from '../util/types';

/** A call retrying for longer than this gets a progress line. */
export const SLOW_RETRY_MS = 2_000;
/** How long an emulator that refuses connections is waited for. */
export const REACH_BUDGET_MS = 2_500;

/** Why a TCP connection to host:port fails (undefined: it connects), within `ms`. */
export function tcpProbe(host: string, port: number, ms: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (why: string | undefined) => {
      socket.destroy();
      resolve(why);
    };
    socket.setTimeout(ms, () => done(`no answer within ${ms} ms`));
    socket.once('connect', () => done(undefined));
    socket.once('error', (e: NodeJS.ErrnoException) => done(e.code === 'ECONNREFUSED' ? 'connection refused' : e.code ?? e.message));
  });
}

/**
 * Connect to the emulator's gRPC port, retrying for up to REACH_BUDGET_MS; after
 * SLOW_RETRY_MS one progress line. Throws `Unreachable` when it never answers.
 */
export async function reachEmulator(host: string, port: number, progress: (line: string) => void, emulatorPort = port): Promise<void> {
  const started = Date.now();
  let told = false;
  for (;;) {
    const failure = await tcpProbe(host, port, 1_000);
    if (!failure) return;
    const elapsed = Date.now() - started;
    // The progress line comes before the error, however slow the probes were.
    if (!told && elapsed >= SLOW_RETRY_MS) {
      told = true;
      progress(`waiting for the emulator at ${host}:${port} (${failure})...`);
    }
    if (elapsed >= REACH_BUDGET_MS) {
      throw new RunctlError('Unreachable', `cannot reach the emulator at ${host}:${port} (RUNCTL_EMULATOR_HOST): ${failure}; is "runctl emulator --port ${emulatorPort}" running?`, { source: 'user' });
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** An error message on one line, at most 200 characters. */
export function oneLine(message: string): string {
  const first = message.split('\n')[0];
  return first.length > 200 ? `${first.slice(0, 199)}…` : first;
}
