/**
 * Long-running verbs (`watch`, `sync`) driven in-process: the CLI's `run()` with an
 * AbortSignal standing in for SIGINT/SIGTERM, output captured as it comes.
 */
import { run } from '../../src/cli/program';

export interface RunningCli {
  /** Resolves with the exit code once the command returns. */
  done: Promise<number>;
  /** Everything written to stderr (the log) so far. */
  log(): string;
  /** JSON log records so far (with `--log-format json`). */
  records(): Array<Record<string, any>>;
  /** Wait until a log record matches. */
  waitForRecord(pred: (r: Record<string, any>) => boolean, timeoutMs?: number): Promise<Record<string, any>>;
  /** Abort (as SIGTERM does) and wait for the exit code. */
  stop(): Promise<number>;
}

export function startCli(args: string[], opts: { env: Record<string, string>; cwd: string }): RunningCli {
  const abort = new AbortController();
  let stderr = '';
  let stdout = '';
  const done = run(args, {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    env: opts.env,
    cwd: opts.cwd,
    signal: abort.signal,
  });
  const records = () =>
    stderr
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, any>);
  let exited = false;
  void done.then(() => (exited = true));
  return {
    done,
    log: () => stderr + stdout,
    records,
    async waitForRecord(pred, timeoutMs = 20_000) {
      let found: Record<string, any> | undefined;
      await poll(() => {
        if (exited) throw new Error(`the command exited before the record appeared:\n${stderr}`);
        found = records().find(pred);
        return !!found;
      }, timeoutMs, () => `no matching log record in:\n${stderr}`);
      return found!;
    },
    async stop() {
      abort.abort();
      return done;
    },
  };
}

/** Poll `check` every `everyMs` until it returns true; fail after `timeoutMs`. */
export async function poll(check: () => boolean | Promise<boolean>, timeoutMs = 20_000, describe: () => string = () => 'condition not met', everyMs = 25): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs}ms: ${describe()}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/**
 * `p`'s value, or a failure naming `what` once `timeoutMs` has passed: a bound on a wait
 * (set far above what the test expects, far below what the failure it guards would take),
 * never a claim about speed.
 */
export async function within<T>(p: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: still waiting after ${timeoutMs}ms`)), timeoutMs);
  });
  try {
    return await Promise.race([p, expired]);
  } finally {
    clearTimeout(timer);
  }
}
