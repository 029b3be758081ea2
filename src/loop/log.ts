/**
 * Structured logs for the long-running verbs (`watch`, `sync`), through pino.
 *
 * `json` writes one JSON object per line with the fields Cloud Logging understands
 * (`severity`, `message`, `time`), so a controller on Cloud Run gets structured entries
 * without an agent. `text` renders the same records as short readable lines for a
 * terminal. Engine events become log records through `logHost`.
 */
import pino from 'pino';
import type { EngineEvent, EventHost } from '../engine/events';
import { redact } from '../engine/redact';
import { COLOR, PLAIN, type Style } from '../lib/style';

export type Logger = pino.Logger;
export type LogFormat = 'json' | 'text';

export interface LogOptions {
  /** `json`, `text`, or undefined to choose: text on a terminal, JSON otherwise. */
  format?: LogFormat;
  /** @default 'info' */
  level?: string;
  /** Where lines go (the CLI passes stderr). */
  out: { write(s: string): unknown; isTTY?: boolean };
  env?: NodeJS.ProcessEnv;
}

/** Make the logger for a loop. */
export function makeLogger(opts: LogOptions): Logger {
  const format = opts.format ?? (opts.out.isTTY ? 'text' : 'json');
  const sink = format === 'json' ? { write: (s: string) => opts.out.write(s) } : textStream(opts.out, styleOf(opts));
  // Every record passes the one redaction helper: a credential in a repository URL (or
  // echoed in git's own errors) never reaches a log, whatever field carries it.
  const dest = { write: (s: string) => sink.write(redact(s)) };
  return pino(
    {
      level: opts.level ?? 'info',
      messageKey: 'message',
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ severity: label.toUpperCase() }) },
    },
    dest,
  );
}

function styleOf(opts: LogOptions): Style {
  const env = opts.env ?? {};
  return opts.out.isTTY && !env.NO_COLOR && env.TERM !== 'dumb' ? COLOR : PLAIN;
}

const SHOWN_FIRST = ['time', 'severity', 'message'];

/** A pino destination that turns each JSON record into `HH:MM:SS LEVEL message key=value`. */
export function textStream(out: { write(s: string): unknown }, style: Style): { write(s: string): void } {
  return {
    write(line: string) {
      let rec: Record<string, unknown>;
      try {
        rec = JSON.parse(line);
      } catch {
        out.write(line);
        return;
      }
      out.write(`${formatRecord(rec, style)}\n`);
    },
  };
}

/** One record as a readable line (exported for tests). */
export function formatRecord(rec: Record<string, unknown>, style: Style = PLAIN): string {
  const time = typeof rec.time === 'string' ? rec.time.slice(11, 19) : '';
  const sev = String(rec.severity ?? 'INFO');
  const color = sev === 'ERROR' || sev === 'FATAL' ? style.red : sev === 'WARN' ? style.yellow : sev === 'DEBUG' || sev === 'TRACE' ? style.dim : (s: string) => s;
  const extras = Object.entries(rec)
    .filter(([k]) => !SHOWN_FIRST.includes(k) && k !== 'diagnostics')
    .map(([k, v]) => `${k}=${typeof v === 'string' && !/\s/.test(v) ? v : JSON.stringify(v)}`);
  const lines = [`${style.dim(time)} ${color(sev.padEnd(5))} ${rec.message ?? ''}${extras.length ? ` ${style.dim(extras.join(' '))}` : ''}`];
  // Manifest problems print one per line, as `validate` prints them.
  if (Array.isArray(rec.diagnostics)) for (const d of rec.diagnostics) lines.push(`    ${String(d)}`);
  return lines.join('\n');
}

/** Engine events as log records: writes at info, failures at warn, progress at debug. */
export function logHost(log: Logger, fields: Record<string, unknown> = {}): EventHost {
  return {
    emit(ev: EngineEvent) {
      if (ev.type === 'info') return log.info(fields, ev.message);
      if (ev.type === 'warning') return log.warn(fields, ev.message);
      const rec = { ...fields, resource: ev.key, action: ev.action };
      switch (ev.phase) {
        case 'done':
          // A write another process had already made is reported as such, never as ours.
          return log.info({ ...rec, elapsedMs: ev.elapsedMs }, `${ev.key}: ${ev.message ? `unchanged (${ev.message})` : pastTense(ev.action)}`);
        case 'failed':
          return log.warn({ ...rec, error: ev.message }, `${ev.key}: ${ev.action ?? 'reconcile'} failed`);
        case 'skipped':
          return log.warn({ ...rec, reason: ev.message }, `${ev.key}: skipped`);
        default:
          return log.debug({ ...rec, phase: ev.phase, detail: ev.message }, `${ev.key}: ${ev.message ?? ev.phase}`);
      }
    },
  };
}

function pastTense(action: string | undefined): string {
  switch (action) {
    case 'create': return 'created';
    case 'update': return 'updated';
    case 'replace': return 'replaced';
    case 'delete': return 'deleted';
    case 'abandon': return 'abandoned (no longer managed)';
    default: return action ?? 'reconciled';
  }
}
