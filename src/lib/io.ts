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
