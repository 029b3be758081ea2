/**
 * Start-up of one-shot commands, each a fresh `node dist/src/cli/main.js` child process
 * on the repository's `manifests/` (every kind): a no-op `diff` against a standalone
 * emulator and against the embedded one, `validate`, `--version`, and bare `node` for
 * scale. Every command runs once to warm the OS caches, then `runs` times; the commands
 * take turns (round-robin) so a change in the machine's load touches them alike.
 */
import { spawn } from 'node:child_process';
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
function timed(preload: string, args: string[], env: Record<string, string>, cwd: string): Promise<Timed> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['-r', preload, ...args], { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr!.on('data', (d) => (err += d));
    child.once('close', (code) => {
      const cpu = /@@cpu ([\d.]+)/.exec(err);
      resolve({ code: code ?? 1, ms: performance.now() - t0, cpuMs: cpu ? Number(cpu[1]) : NaN, stderr: err });
    });
  });
}

export interface StartupResult {
  rows: StartupRow[];
  /** 1-minute load average before and after (the machine may be shared). */
  load: [number, number];
  runs: number;
}

export async function startupTimes(manifests: string, runs = 7): Promise<StartupResult> {
  const load0 = os.loadavg()[0];
  const emu = await startEmulatorChild([]);
  try {
    const preload = path.join(tmpDir('startup-cpu'), 'cpu-report.js');
    fs.writeFileSync(preload, CPU_REPORT);
    const cli = (args: string[], env: Record<string, string>, cwd: string) => timed(preload, [CLI, ...args], env, cwd);
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
      { name: 'bare node (for scale)', command: 'node -e 0', run: () => timed(preload, ['-e', '0'], base, standalone) },
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
    return { rows, load: [load0, os.loadavg()[0]], runs };
  } finally {
    await emu.stop();
  }
}

/** The CLI this measures (for the report). */
export const STARTUP_CLI = path.relative(process.cwd(), CLI);
