/**
 * What `watch` and `sync` share around their loop: the logger, metrics, readiness, the
 * target, the `/healthz` `/readyz` `/metrics` server, and shutdown on SIGINT/SIGTERM
 * (`io.signal`): the pass in flight finishes (or is abandoned after a grace period),
 * then the command exits 0.
 */
import type { Io } from '../lib/io';
import { openTarget } from '../lib/target';
import { RunctlError } from '../engine/types';
import { startOpsServer, type OpsServer } from './http';
import { makeLogger, type LogFormat, type Logger } from './log';
import { LoopMetrics } from './metrics';
import type { LoopEnv } from './pass';
import { LoopStatus } from './status';
import { runUnderLease } from './lease-loop';
import { Lease, parseLeaseUrl } from '../gcp/lease';
import { parseDuration } from '../util/duration';

export interface LoopFlags {
  project?: string;
  region?: string;
  transport?: string;
  set?: string;
  parallelism?: number;
  adopt?: boolean;
  prune?: boolean;
  yes?: boolean;
  metricsPort?: string;
  metricsHost?: string;
  logFormat?: LogFormat;
  logLevel?: string;
  /** Shutdown grace period for a pass in flight. */
  shutdownTimeout?: string;
  /** `gs://BUCKET/PATH`: write only while holding this lease (default: RUNCTL_LEASE). */
  lease?: string;
  /** How long the lease holds without a renewal. @default '30s' */
  leaseTtl?: string;
}

export interface Runtime {
  env: LoopEnv & { signal: AbortSignal };
  status: LoopStatus;
  log: Logger;
  graceMs: number;
}

/** A duration flag in milliseconds (`10m`, `300ms`, `1s`). */
export function durationMs(text: string, flag: string, opts: { allowZero?: boolean } = {}): number {
  const s = parseDuration(text);
  if (s === undefined || (!opts.allowZero && s <= 0)) {
    throw new RunctlError('Usage', `${flag}: not a duration: ${text} (use e.g. 300ms, 30s, 10m, 1h)`, { source: 'user' });
  }
  return Math.round(s * 1000);
}

function port(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new RunctlError('Usage', `--metrics-port: not a port: ${text}`, { source: 'user' });
  return n;
}

/** `--prune` in a loop deletes without a terminal to ask on: it needs `--yes` up front. */
export function checkPrune(flags: LoopFlags, verb: string): void {
  if (flags.prune && !flags.yes) {
    throw new RunctlError('Refused', `${verb} --prune deletes resources without asking; add --yes to confirm`, { source: 'user' });
  }
}

/** Run a loop until `io.signal` aborts; exit code 0 after a clean shutdown. */
export async function runController(verb: string, flags: LoopFlags, io: Io, loop: (rt: Runtime) => Promise<boolean>): Promise<number> {
  const metricsPort = port(flags.metricsPort);
  const graceMs = durationMs(flags.shutdownTimeout ?? '8s', '--shutdown-timeout', { allowZero: true });
  const leaseUrl = flags.lease ?? (io.env.RUNCTL_LEASE || undefined);
  const leaseTtlMs = durationMs(flags.leaseTtl ?? '30s', '--lease-ttl');
  if (leaseUrl) parseLeaseUrl(leaseUrl);
  const log = makeLogger({ format: flags.logFormat, level: flags.logLevel, out: io.stderr, env: io.env });
  const metrics = new LoopMetrics();
  const status = new LoopStatus(metrics);
  const abort = new AbortController();
  if (io.signal?.aborted) abort.abort();
  io.signal?.addEventListener('abort', () => abort.abort(), { once: true });
  const target = await openTarget({ project: flags.project, region: flags.region, transport: flags.transport }, io);
  target.clients.progress = (line) => log.warn(line);
  let server: OpsServer | undefined;
  try {
    if (metricsPort !== undefined) {
      server = await startOpsServer({ host: flags.metricsHost, port: metricsPort, metrics, status });
      log.info({ url: server.url }, `serving /healthz, /readyz and /metrics on ${server.url}`);
    }
    const set = flags.set ?? 'default';
    log.info({ target: target.info.description, project: target.info.project ?? target.info.fallbackProject, set }, `${verb}: target ${target.info.description}, set ${set}`);
    abort.signal.addEventListener('abort', () => log.info('shutting down: letting the operations in flight finish'), { once: true });
    const env = { target, set, parallelism: flags.parallelism, adopt: flags.adopt, log, metrics, signal: abort.signal };
    const term = (signal: AbortSignal) => loop({ env: { ...env, signal }, status, log, graceMs });
    let finished: boolean;
    if (!leaseUrl) finished = await term(abort.signal);
    else {
      const project = target.info.project ?? target.info.fallbackProject ?? '';
      const lease = new Lease(() => target.clients.storage(), { url: leaseUrl, ttlMs: leaseTtlMs, set, project, command: verb });
      finished = await runUnderLease({ lease, url: leaseUrl, clients: () => target.clients, log, status, signal: abort.signal }, term);
    }
    status.markStopped();
    log.info(finished ? `${verb} stopped` : `${verb} stopped; abandoned the pass in flight after ${graceMs / 1000}s (its operations go on server-side; the next start re-reads the world)`);
    return 0;
  } finally {
    await server?.close();
    await target.close();
  }
}
