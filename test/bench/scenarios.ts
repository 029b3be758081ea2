/**
 * The benchmark's scenarios. Each apply runs against its own emulator child, so every
 * run starts with an empty project and a fresh quota window.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BENCH_PROJECT, BENCH_REGION, iamCount, writeFleet } from './manifests';
import { physicalLimit, type Limit } from './physical';
import { median, runWorker, startEmulatorChild, stop, timeCli, type EmulatorChild, type Stats, type WorkerResult } from './procs';

/** The world the benchmark simulates. */
export interface World {
  latencyMs: number;
  operationMs: number;
  writesPerMinute: number;
  readsPerMinute: number;
}

export const REALISTIC: World = { latencyMs: 50, operationMs: 2000, writesPerMinute: 180, readsPerMinute: 1000 };

/** Emulator flags for a world: latency on every call, operation time, Cloud Run quotas. */
export function emulatorFlags(w: World): string[] {
  return [
    '--latency', `${w.latencyMs}ms`,
    '--operation-latency', `${w.operationMs}ms`,
    '--quota', `Services.:write=${w.writesPerMinute}/min`,
    '--quota', `Services.:read=${w.readsPerMinute}/min`,
  ];
}

/** The CLI's environment: the emulator, and client-side limits equal to its quotas. */
export function cliEnv(emu: { grpc: string }, w: World): Record<string, string> {
  return { RUNCTL_EMULATOR_HOST: emu.grpc, RUNCTL_RATE_LIMITS: `run.write=${w.writesPerMinute}/min,run.read=${w.readsPerMinute}/min`, NO_COLOR: '1' };
}

export function tmpDir(name: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `runctl-bench-${name}-`));
}

export interface ApplyRun {
  n: number;
  parallelism: number | 'default';
  result: WorkerResult;
  calls: Record<string, number>;
  limit: Limit;
  ratio: number;
}

export interface NoopRun {
  n: number;
  iamDeclared: number;
  result: WorkerResult;
  calls: Record<string, number>;
}

function check(r: WorkerResult, what: string, want = 0): void {
  if (r.code !== want) throw new Error(`${what} exited ${r.code} (wanted ${want}):\n${r.stderrTail}`);
}

/** Apply a fresh fleet of `n` Services; optionally follow with no-op plans on the same world. */
export async function applyFleet(w: World, n: number, parallelism: number | 'default', opts: { noop?: boolean } = {}): Promise<{ apply: ApplyRun; noop: NoopRun[] }> {
  const emu = await startEmulatorChild(emulatorFlags(w));
  try {
    const dir = writeFleet(path.join(tmpDir(`apply-${n}`), 'fleet'), n);
    const args = ['apply', '-f', dir, '--yes', '--project', BENCH_PROJECT, ...(parallelism === 'default' ? [] : ['--parallelism', String(parallelism)])];
    await emu.resetStats();
    const result = await runWorker(args, cliEnv(emu, w), path.dirname(dir), true);
    check(result, `apply of ${n} services`);
    const calls = (await emu.stats()).calls;
    const limit = physicalLimit({ n, iam: iamCount(n), latencyMs: w.latencyMs, operationMs: w.operationMs, writesPerMinute: w.writesPerMinute });
    const apply: ApplyRun = { n, parallelism, result, calls, limit, ratio: result.ms / limit.ms };
    const noop = opts.noop ? await noopPlans(emu, w, n, dir) : [];
    return { apply, noop };
  } finally {
    await emu.stop();
  }
}

/** Plan the applied fleet again (nothing to do): with its IAM declarations, and without. */
async function noopPlans(emu: EmulatorChild, w: World, n: number, dir: string): Promise<NoopRun[]> {
  const out: NoopRun[] = [];
  const bare = writeFleet(path.join(path.dirname(dir), 'fleet-without-iam'), n, { withoutIam: true });
  for (const [d, iam] of [[dir, iamCount(n)], [bare, 0]] as const) {
    await emu.resetStats();
    const result = await runWorker(['plan', '-f', d, '--project', BENCH_PROJECT], cliEnv(emu, w), path.dirname(d), true);
    check(result, `no-op plan of ${n} services`);
    out.push({ n, iamDeclared: iam, result, calls: (await emu.stats()).calls });
  }
  return out;
}

const REGIONS = [BENCH_REGION, 'europe-west1', 'europe-west4', 'us-central1', 'us-east1', 'asia-northeast1'];

/** Peak RSS of `runctl plan` over `n` new Services spread over regions (1000 per region, Cloud Run's limit). */
export async function memory(n: number): Promise<{ n: number; regions: number; result: WorkerResult; stats: Stats }> {
  const emu = await startEmulatorChild([]);
  try {
    const root = tmpDir('memory');
    const regions = Math.ceil(n / 1000);
    for (let r = 0; r < regions; r++) {
      const region = REGIONS[r % REGIONS.length];
      writeFleet(path.join(root, 'fleet', region), Math.min(1000, n - r * 1000), { region, prefix: `r${r}` });
    }
    const result = await runWorker(['plan', '-f', 'fleet', '--project', BENCH_PROJECT], { RUNCTL_EMULATOR_HOST: emu.grpc, NO_COLOR: '1' }, root);
    check(result, `plan of ${n} services`, 2);
    return { n, regions, result, stats: await emu.stats() };
  } finally {
    await emu.stop();
  }
}

export { stop };
