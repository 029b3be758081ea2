/**
 * Holding the lease of a set (`--lease gs://BUCKET/PATH`) for one verb: acquired before
 * the first write, checked before every write (the clients' write guard), renewed while
 * the verb runs, released at the end. What to tell a person is the caller's: it gets the
 * holder it waits for and the reason a held lease was lost.
 */
import { Lease, type LeaseRecord } from '../gcp/lease';
import type { Target } from './target';

export interface LeaseSpec {
  /** The lease object; none: no lease is taken. */
  url?: string;
  ttlMs: number;
  /** How long to wait for a lease someone else holds (0: fail at once). */
  timeoutMs: number;
  set: string;
  /** The verb holding it, recorded on the lease for whoever waits. */
  verb: string;
  signal?: AbortSignal;
  /** Someone else holds it; called while waiting. */
  onWait?(holder: LeaseRecord): void;
  /** The lease was lost mid-verb; writes stop (the write guard refuses them). */
  onLost?(reason: string): void;
}

/** Take the lease (if any); resolves to its release. */
export async function holdLease(spec: LeaseSpec, target: Target): Promise<() => Promise<void>> {
  if (!spec.url) return async () => undefined;
  const lease = new Lease(() => target.clients.storage(), {
    url: spec.url,
    ttlMs: spec.ttlMs,
    set: spec.set,
    project: target.info.project ?? target.info.fallbackProject ?? '',
    command: spec.verb,
  });
  await lease.acquire({ signal: spec.signal, timeoutMs: spec.timeoutMs, onWait: (h) => spec.onWait?.(h) });
  target.clients.writeGuard = () => lease.check();
  lease.keep((reason) => spec.onLost?.(reason));
  return () => lease.release();
}
