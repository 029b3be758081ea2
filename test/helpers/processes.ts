/**
 * The built `runctl` as separate processes (`npm test` builds first): long-running verbs
 * with their output captured as it comes, one-shot verbs awaited without blocking the
 * test's event loop.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { packageRoot } from '../../src/package-root';
import { poll } from './loop-runner';

export const BIN = path.join(packageRoot(), 'dist', 'src', 'cli', 'main.js');

/** The environment of a child runctl: no ambient target unless given. */
export function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  for (const k of ['RUNCTL_EMULATOR_HOST', 'GOOGLE_CLOUD_PROJECT', 'RUNCTL_LEASE']) if (!(k in extra)) delete env[k];
  return env;
}

export interface RunctlProcess {
  child: ChildProcess;
  pid: number;
  /** stdout + stderr so far. */
  output(): string;
  /** Wait until the output matches (bounded); fails if the process exits first. */
  waitFor(re: RegExp, timeoutMs?: number): Promise<void>;
  /** Resolves with the exit code (or the signal name). */
  exited: Promise<number | string>;
  stop(signal?: NodeJS.Signals): Promise<number | string>;
}

/** Start `runctl ARGS` in `cwd`. */
export function startRunctl(args: string[], opts: { cwd: string; env?: Record<string, string> }): RunctlProcess {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: opts.cwd, env: childEnv(opts.env), stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  let done = false;
  const exited = new Promise<number | string>((resolve) =>
    child.on('exit', (code, signal) => {
      done = true;
      resolve(code ?? signal ?? -1);
    }),
  );
  return {
    child,
    pid: child.pid!,
    output: () => out,
    exited,
    async waitFor(re, timeoutMs = 60_000) {
      await poll(() => {
        if (re.test(out)) return true;
        if (done) throw new Error(`runctl ${args.join(' ')} exited before ${re} appeared:\n${out}`);
        return false;
      }, timeoutMs, () => `${re} not in the output of runctl ${args.join(' ')}:\n${out}`, 50);
    },
    async stop(signal = 'SIGTERM') {
      if (!done) child.kill(signal);
      return exited;
    },
  };
}

/** Run `runctl ARGS` to completion. */
export async function runRunctl(args: string[], opts: { cwd: string; env?: Record<string, string> }): Promise<{ code: number | string; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: opts.cwd, env: childEnv(opts.env), stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const code = await new Promise<number | string>((resolve) => child.on('exit', (c, s) => resolve(c ?? s ?? -1)));
  return { code, stdout, stderr };
}
