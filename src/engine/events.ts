/**
 * The engine never prints: it emits structured events to a host, which the CLI
 * renders for a terminal (progress lines, colour on a TTY) or as JSON lines.
 */

export type ResourcePhase = 'start' | 'progress' | 'done' | 'failed' | 'skipped' | 'retry';

export type EngineEvent =
  | { type: 'resource'; key: string; phase: ResourcePhase; action?: string; message?: string; elapsedMs?: number }
  | { type: 'info'; message: string }
  | { type: 'warning'; message: string };

export interface EventHost {
  emit(event: EngineEvent): void;
}

/** A host that drops everything (library use, tests). */
export const silentHost: EventHost = { emit() {} };
