/** The process's own streams and terminal: the shell's side of `Io`. */
import type { Io } from '../lib/io';

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
