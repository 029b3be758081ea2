/**
 * A controller loop under a lease (`--lease gs://BUCKET/PATH`): wait for the lease
 * (saying who holds it, writing nothing), run the loop while it is held, and stop
 * writing the moment it is lost — the loop's signal aborts (nothing new starts) and the
 * target's clients refuse every write — then wait for it again. On shutdown the lease
 * is released so a standby takes over at once rather than after the TTL.
 */
import type { Clients } from '../gcp/clients';
import { describeHolder, type Lease } from '../gcp/lease';
import type { Logger } from './log';
import type { LoopStatus } from './status';

export interface LeaseLoopOptions {
  lease: Lease;
  url: string;
  /** The target's clients now (an embedded target may rebuild them). */
  clients: () => Clients;
  log: Logger;
  status: LoopStatus;
  /** Aborted on shutdown. */
  signal: AbortSignal;
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
  });

/** Run `term` each time the lease is won, until shutdown. Resolves like the loop does. */
export async function runUnderLease(o: LeaseLoopOptions, term: (signal: AbortSignal) => Promise<boolean>): Promise<boolean> {
  const { lease, url, log, status, signal } = o;
  let finished = true;
  while (!signal.aborted) {
    status.markNotReady(`waiting for the lease ${url}`);
    try {
      await lease.acquire({
        signal,
        onWait: (h) => log.warn({ lease: url, holder: h.holder, pid: h.pid, since: h.since, expires: h.expires }, `waiting for the lease ${url}: held by ${describeHolder(h)}; writing nothing until it is released or expires`),
        onTakeover: (h) => log.warn({ lease: url, holder: h.holder, pid: h.pid, expired: h.expires }, `took over the lease ${url}: it expired at ${h.expires} (held by ${describeHolder(h)})`),
      });
    } catch (err) {
      if (signal.aborted) break;
      const ms = Math.max(1000, lease.ttlMs / 3);
      log.error({ lease: url, error: (err as Error).message }, `cannot take the lease ${url}: ${(err as Error).message}; retrying in ${(ms / 1000).toFixed(1)}s`);
      await sleep(ms, signal);
      continue;
    }
    log.info({ lease: url, ttlMs: lease.ttlMs }, `holding the lease ${url} (renewed every ${(lease.ttlMs / 3000).toFixed(1)}s)`);
    const held = new AbortController();
    const onShutdown = () => held.abort();
    signal.addEventListener('abort', onShutdown, { once: true });
    o.clients().writeGuard = () => lease.check();
    lease.keep((reason) => {
      log.error({ lease: url, reason }, `lost the lease ${url}: ${reason}; stopped writing`);
      held.abort();
    });
    try {
      finished = await term(held.signal);
    } finally {
      signal.removeEventListener('abort', onShutdown);
    }
    if (signal.aborted) {
      await lease.release().then(
        () => log.info({ lease: url }, `released the lease ${url}`),
        (err) => log.warn({ lease: url, error: (err as Error).message }, `could not release the lease ${url}: ${(err as Error).message}; it expires by itself`),
      );
      break;
    }
  }
  return finished;
}
