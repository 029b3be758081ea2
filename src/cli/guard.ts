/**
 * The process-wide last line of defence: a promise rejection nobody handled, or an
 * exception thrown from a callback, is reported like any other error — one line, exit
 * 1 — never as a Node stack trace (the stack only with RUNCTL_DEBUG=1).
 */
import type { Io } from '../lib/io';
import { reportError } from './program';

/**
 * Warnings of libraries that repeat, less clearly, what runctl's own error says:
 * gcp-metadata's MetadataLookupWarning ("received unexpected error ...") when it probes
 * for a metadata server while looking for credentials; the NoCredentials line says
 * what to do. Every other warning is printed as Node prints it.
 */
const REDUNDANT_WARNINGS = new Set(['MetadataLookupWarning']);

let installed = false;

/** Install the guard once per process. */
export function installProcessGuard(io: Io): void {
  if (installed) return;
  installed = true;
  const fatal = (err: unknown) => {
    // stderr is synchronous for files, pipes and terminals on Linux and macOS: the line
    // is out before the exit, which must not wait for open sockets or timers.
    process.exit(reportError(err, io));
  };
  process.on('unhandledRejection', fatal);
  process.on('uncaughtException', fatal);
  if (!io.env.RUNCTL_DEBUG) filterWarnings();
}

function filterWarnings(): void {
  const emit = process.emitWarning.bind(process) as (...args: unknown[]) => void;
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    const opt = rest[0];
    const type = typeof opt === 'string' ? opt : (opt as { type?: string } | undefined)?.type ?? (warning instanceof Error ? warning.name : undefined);
    if (type && REDUNDANT_WARNINGS.has(type)) return;
    emit(warning, ...rest);
  }) as typeof process.emitWarning;
}
