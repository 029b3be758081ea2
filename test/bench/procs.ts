/**
 * Child processes of the benchmark: the standalone emulator (`runctl emulator` with
 * latency, operation latency and quota flags), the scenario worker, and the CLI itself.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { seedFleetSecret } from './manifests';

/** The compiled tree: `dist/` (this file is `dist/test/bench/procs.js`). */
export const DIST = path.resolve(__dirname, '..', '..');
export const CLI = path.join(DIST, 'src', 'cli', 'main.js');
export const WORKER = path.join(__dirname, 'worker.js');

export interface Stats {
  reads: number;
  writes: number;
  calls: Record<string, number>;
}

export interface EmulatorChild {
  grpc: string;
  http: string;
  stats(): Promise<Stats>;
  resetStats(): Promise<void>;
  stop(): Promise<void>;
}

/** Start `runctl emulator --port 0 ...flags` and wait for its banner. */
export async function startEmulatorChild(flags: string[]): Promise<EmulatorChild> {
  const child = spawn(process.execPath, [CLI, 'emulator', '--port', '0', ...flags], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  const banner = await new Promise<{ grpc: string; http: string }>((resolve, reject) => {
    const check = () => {
      const line = out.split('\n')[0];
      if (out.includes('\n')) resolve(JSON.parse(line));
    };
    child.stdout!.on('data', check);
    child.once('exit', (code) => reject(new Error(`emulator exited ${code}: ${err}`)));
  });
  const base = `http://${banner.http}`;
  await seedFleetSecret(banner.http);
  return {
    ...banner,
    async stats() {
      return (await (await fetch(`${base}/__emulator/stats`)).json()) as Stats;
    },
    async resetStats() {
      await fetch(`${base}/__emulator/stats/reset`, { method: 'POST' });
    },
    stop: () => stop(child),
  };
}

export function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** What a worker reports. */
export interface WorkerResult {
  /** Exit code of the CLI verb. */
  code: number;
  /** Time of the verb, from the call to its return, ms (in a warm process when asked). */
  ms: number;
  /** Time from process start to the verb's return, ms. */
  processMs: number;
  /** Peak resident set size of the process, MiB. */
  peakRssMiB: number;
  /** The end of stderr, for failures. */
  stderrTail: string;
}

/** Run one CLI verb in a fresh worker process (see worker.ts), warmed up or cold. */
export function runWorker(args: string[], env: Record<string, string>, cwd: string, warm = false): Promise<WorkerResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [WORKER, JSON.stringify(args), ...(warm ? ['warm'] : [])], { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.once('exit', (code) => {
      const line = out.trim().split('\n').pop() ?? '';
      try {
        resolve(JSON.parse(line) as WorkerResult);
      } catch {
        reject(new Error(`worker exited ${code} without a result: ${err.slice(-2000)}`));
      }
    });
  });
}

/** Run the CLI as a child process; resolves with its exit code and wall time. */
export function timeCli(args: string[], env: Record<string, string>, cwd: string): Promise<{ code: number; ms: number; stderr: string }> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr!.on('data', (d) => (err += d));
    child.once('exit', (code) => resolve({ code: code ?? 1, ms: performance.now() - t0, stderr: err }));
  });
}

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
