/** What a command may touch of the outside world; tests pass their own. */
export interface Io {
  /** `columns`: the terminal's width, when stdout is one (long plan values wrap to it). */
  stdout: { write(s: string): unknown; isTTY?: boolean; columns?: number };
  stderr: { write(s: string): unknown; isTTY?: boolean };
  stdin?: NodeJS.ReadableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Ask a yes/no question on the terminal; undefined when there is no terminal. */
  confirm?: (question: string) => Promise<boolean>;
  /** Aborted on SIGINT/SIGTERM (long-running verbs). */
  signal?: AbortSignal;
}

/** A terminal prompt on the process's stdin/stderr. */
export function terminalConfirm(question: string): Promise<boolean> {
  const readline = require('node:readline') as typeof import('node:readline');
  const rl = readline.createInterface({ input: process.stdin, output: process.stderr });
  return new Promise((resolve) => {
    rl.question(`${question} [y/N] `, (answer) => {
      rl.close();
      resolve(/^y(es)?$/i.test(answer.trim()));
    });
  });
}

export function processIo(): Io {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    env: process.env,
    cwd: process.cwd(),
    confirm: process.stdin.isTTY && process.stderr.isTTY ? terminalConfirm : undefined,
  };
}
