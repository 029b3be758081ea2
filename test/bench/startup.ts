/**
 * Start-up of one-shot commands, each a fresh `node dist/src/cli/main.js` child process
 * on the repository's `manifests/` (every kind): a no-op `diff` against a standalone
 * emulator and against the embedded one, `validate`, `--version`, and bare `node` for
 * scale. Every command runs once to warm the OS caches, then `runs` times; the commands
 * take turns (round-robin) so a change in the machine's load touches them alike.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CLI, median, startEmulatorChild, timeCli } from './procs';
import { tmpDir } from './scenarios';

/** One measured command. */
export interface StartupRow {
  name: string;
  command: string;
  /** Goal of issue 16, ms (undefined: none). */
  goalMs?: number;
  ms: number[];
  median: number;
  min: number;
  max: number;
  /**
   * CPU time (user + system) of the process, median, ms: what the command costs when the
   * machine is shared, less dependent on other processes than the wall time.
   */
  cpuMedian: number;
  /** Highest exit code seen. */
  code: number;
}

/** Preloaded into each measured process: prints its CPU time on exit. */
const CPU_REPORT = `process.on('exit', () => { const u = process.cpuUsage(); process.stderr.write('\\n@@cpu ' + ((u.user + u.system) / 1000).toFixed(1) + '\\n'); });\n`;

interface Timed {
  code: number;
  ms: number;
  cpuMs: number;
  stderr: string;
}

/** Run `node [-r cpu-report] args` in `cwd`; wall time from spawn to exit, and the CPU time it reported. */
function timed(node: string, preload: string, args: string[], env: Record<string, string>, cwd: string): Promise<Timed> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const child = spawn(node, ['-r', preload, ...args], { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr!.on('data', (d) => (err += d));
    child.once('close', (code) => {
      const cpu = /@@cpu ([\d.]+)/.exec(err);
      resolve({ code: code ?? 1, ms: performance.now() - t0, cpuMs: cpu ? Number(cpu[1]) : NaN, stderr: err });
    });
  });
}

export interface StartupResult {
  /** The Node.js that ran the commands: its version, and whether it is the one running the bench. */
  node: { version: string; machine: boolean };
  /**
   * Set when the environment has NODE_EXTRA_CA_CERTS: Node 20 reads and parses that file
   * at every start, before any JavaScript runs (Node 22 and later only when TLS is first
   * used), which the bare-node row shows.
   */
  extraCaCerts?: string;
  rows: StartupRow[];
  /** 1-minute load average before and after (the machine may be shared). */
  load: [number, number];
  runs: number;
}

/**
 * Time the commands with the Node.js at `node` (default: the one running the bench). The
 * commands' own caches (V8 code, module resolution) are per Node version; the warm-up
 * run of each command fills them, as any earlier use of runctl on the machine has.
 */
export async function startupTimes(manifests: string, runs = 7, node = process.execPath): Promise<StartupResult> {
  const load0 = os.loadavg()[0];
  const emu = await startEmulatorChild([]);
  try {
    const preload = path.join(tmpDir('startup-cpu'), 'cpu-report.js');
    fs.writeFileSync(preload, CPU_REPORT);
    const cli = (args: string[], env: Record<string, string>, cwd: string) => timed(node, preload, [CLI, ...args], env, cwd);
    const standalone = tmpDir('startup-standalone');
    const embedded = tmpDir('startup-embedded');
    for (const d of [standalone, embedded]) fs.cpSync(manifests, path.join(d, 'manifests'), { recursive: true });
    // The embedded runs must not find a standalone emulator in the bench's own environment
    // (timeCli starts from process.env).
    delete process.env.RUNCTL_EMULATOR_HOST;
    const base = { NO_COLOR: '1' } as Record<string, string>;
    const emuEnv = { ...base, RUNCTL_EMULATOR_HOST: emu.grpc };
    for (const [cwd, env] of [[standalone, emuEnv], [embedded, base]] as const) {
      const r = await timeCli(['apply', '-f', 'manifests', '--yes'], env, cwd);
      if (r.code !== 0) throw new Error(`apply -f manifests/ in ${cwd} exited ${r.code}: ${r.stderr.slice(-1500)}`);
    }
    const commands: Array<{ name: string; command: string; goalMs?: number; run: () => Promise<Timed> }> = [
      { name: 'diff, standalone emulator (no-op)', command: 'RUNCTL_EMULATOR_HOST=… runctl diff -f manifests/', goalMs: 800, run: () => cli(['diff', '-f', 'manifests'], emuEnv, standalone) },
      { name: 'diff, embedded emulator (no-op)', command: 'runctl diff -f manifests/', goalMs: 1000, run: () => cli(['diff', '-f', 'manifests'], base, embedded) },
      { name: 'validate', command: 'runctl validate -f manifests/', goalMs: 250, run: () => cli(['validate', '-f', 'manifests'], base, standalone) },
      { name: '--version', command: 'runctl --version', run: () => cli(['--version'], base, standalone) },
      { name: 'bare node (for scale)', command: 'node -e 0', run: () => timed(node, preload, ['-e', '0'], base, standalone) },
    ];
    for (const c of commands) await c.run(); // warm-up
    const ms = commands.map(() => [] as number[]);
    const cpu = commands.map(() => [] as number[]);
    const codes = commands.map(() => 0);
    for (let i = 0; i < runs; i++) {
      for (const [k, c] of commands.entries()) {
        const r = await c.run();
        ms[k].push(r.ms);
        cpu[k].push(r.cpuMs);
        codes[k] = Math.max(codes[k], r.code);
      }
    }
    const rows = commands.map((c, k) => ({
      name: c.name,
      command: c.command,
      goalMs: c.goalMs,
      ms: ms[k],
      median: median(ms[k]),
      min: Math.min(...ms[k]),
      max: Math.max(...ms[k]),
      cpuMedian: median(cpu[k]),
      code: codes[k],
    }));
    const version = spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout.trim();
    const extraCaCerts = process.env.NODE_EXTRA_CA_CERTS || undefined;
    return { node: { version, machine: node === process.execPath }, extraCaCerts, rows, load: [load0, os.loadavg()[0]], runs };
  } finally {
    await emu.stop();
  }
}

/** The CLI this measures (for the report). */
export const STARTUP_CLI = path.relative(process.cwd(), CLI);

/**
 * A Node.js of another major version for `--node`, installed from the npm registry's
 * `node` package (as .ci/smoke does) into a cache directory and reused after that.
 */
export function nodeOfMajor(major: string, log: (msg: string) => void): string {
  const dir = path.join(os.tmpdir(), 'runctl-bench-node', `node${major}`);
  const bin = path.join(dir, 'node_modules', 'node', 'bin', 'node');
  const ok = () => fs.existsSync(bin) && spawnSync(bin, ['--version'], { encoding: 'utf8' }).stdout.startsWith(`v${major}.`);
  if (!ok()) {
    log(`installing node@${major} from the npm registry into ${dir}`);
    const npm = spawnSync('npm', ['install', '--no-save', '--no-audit', '--no-fund', '--prefix', dir, `node@${major}`], { encoding: 'utf8' });
    if (npm.status !== 0 || !ok()) throw new Error(`--node ${major}: could not install node@${major} (${(npm.stderr || npm.stdout).slice(-500)})`);
  }
  return bin;
}
