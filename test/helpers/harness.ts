/**
 * Test harness: an emulator on ephemeral ports, the real Google clients pointed at it,
 * and the CLI driven in-process with captured output.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { run } from '../../src/cli/program';
import { Clients, type Transport } from '../../src/gcp/clients';
import { startEmulator, type RunningEmulator } from '../../src/emulator/server';
import type { EmulatorOptions } from '../../src/emulator/options';
import type { StatsSnapshot } from '../../src/emulator/stats';
import { emulatorStats, resetEmulatorStats } from './emulator-admin';
import { TEST_SEED } from './seed';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface Harness {
  emu: RunningEmulator;
  clients: Clients;
  dir: string;
  /** Run `runctl ...` in-process against the emulator. */
  cli(args: string[], opts?: { env?: Record<string, string>; confirm?: (q: string) => Promise<boolean>; stdin?: string }): Promise<CliResult>;
  /** Write a manifest file under the temp dir; returns its path. */
  write(name: string, text: string): string;
  stats(): Promise<StatsSnapshot>;
  resetStats(): Promise<void>;
  close(): Promise<void>;
}

/** Both transports runctl speaks (`--transport`), for tests run over each. */
export const TRANSPORTS: Transport[] = ['grpc', 'rest'];

/** Harness options: the emulator's, and the transport of every `cli()` run. */
export interface HarnessOptions extends EmulatorOptions {
  /**
   * `RUNCTL_TRANSPORT` of every `cli()` run (a test's own env wins). The harness's
   * `clients`, which tests read state back with, stay on gRPC either way.
   */
  transport?: Transport;
}

/** Start an emulator (fault injection seeded with the file's TEST_SEED unless `options.seed`). */
export async function startHarness(harnessOptions: HarnessOptions = {}): Promise<Harness> {
  const { transport, ...options } = harnessOptions;
  const emu = await startEmulator({ port: 0, seed: TEST_SEED, ...options });
  const clients = new Clients({ mode: 'emulator', grpc: emu.grpc, http: emu.http });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'runctl-test-'));
  const base = `http://${emu.http}`;
  return {
    emu,
    clients,
    dir,
    async cli(args, opts = {}) {
      let stdout = '';
      let stderr = '';
      const code = await run(args, {
        stdout: { write: (s: string) => (stdout += s) },
        stderr: { write: (s: string) => (stderr += s) },
        // An empty gcloud configuration unless a test brings its own (test/helpers/hermetic-env.ts).
        env: { RUNCTL_EMULATOR_HOST: emu.grpc, CLOUDSDK_CONFIG: process.env.CLOUDSDK_CONFIG!, ...(transport ? { RUNCTL_TRANSPORT: transport } : {}), ...opts.env },
        cwd: dir,
        confirm: opts.confirm,
        ...(opts.stdin !== undefined ? { stdin: Readable.from([Buffer.from(opts.stdin)]) } : {}),
      });
      return { code, stdout, stderr };
    },
    write(name, text) {
      const file = path.join(dir, name);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, text);
      return file;
    },
    stats: () => emulatorStats(emu.http),
    resetStats: () => resetEmulatorStats(emu.http),
    async close() {
      await clients.close();
      await emu.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A minimal Service manifest. */
export function serviceYaml(name: string, spec: Record<string, unknown> = {}, meta: Record<string, unknown> = {}): string {
  const YAML = require('yaml') as typeof import('yaml');
  return YAML.stringify({
    apiVersion: 'runctl.dev/v1alpha1',
    kind: 'Service',
    metadata: { name, ...meta },
    spec: { region: 'europe-north1', image: `europe-north1-docker.pkg.dev/p/r/${name}:1`, ...spec },
  });
}

/** Whether the Cloud Run service with this full name exists (read through the official client). */
export async function serviceExists(h: Pick<Harness, 'clients'>, name: string): Promise<boolean> {
  try {
    await h.clients.runServices().getService({ name });
    return true;
  } catch {
    return false;
  }
}

/** Calls that write, by the emulator's method names (gRPC `CreateX`, Compute `Insert`/`Patch`, REST `patch`, ...). */
const WRITE_METHOD = /\.(Create|Update|Delete|Set|Insert|Patch|Put|Add|patch|create|delete|update)/;

/**
 * `runctl apply -f DIR --adopt`, counted: the emulator's counters are reset first, the
 * apply must exit 0, and what comes back is every write call by method, with the stats.
 */
export async function adoptCounted(h: Pick<Harness, 'cli' | 'stats' | 'resetStats'>, dir: string): Promise<{ writes: Record<string, number>; stats: Awaited<ReturnType<Harness['stats']>> }> {
  await h.resetStats();
  const adopted = await h.cli(['apply', '-f', dir, '--adopt']);
  if (adopted.code !== 0) throw new Error(`apply --adopt exited ${adopted.code}: ${adopted.stdout}${adopted.stderr}`);
  const stats = await h.stats();
  return { writes: Object.fromEntries(Object.entries(stats.calls).filter(([m]) => WRITE_METHOD.test(m))), stats };
}

/** Converged on `dir`: `diff` exits 0 and a plain `apply` exits 0 having written nothing. */
export async function expectConverged(h: Pick<Harness, 'cli' | 'stats' | 'resetStats'>, dir: string): Promise<void> {
  await h.resetStats();
  const diff = await h.cli(['diff', '-f', dir]);
  if (diff.code !== 0) throw new Error(`diff exited ${diff.code}: ${diff.stdout}${diff.stderr}`);
  const again = await h.cli(['apply', '-f', dir]);
  if (again.code !== 0) throw new Error(`apply exited ${again.code}: ${again.stdout}${again.stderr}`);
  const writes = (await h.stats()).writes;
  if (writes !== 0) throw new Error(`apply after diff 0 made ${writes} write(s)`);
}
