/**
 * The controller lease for one-shot verbs (`apply`, `delete`): when a lease is
 * configured (`--lease` or RUNCTL_LEASE), the verb takes it before planning, so it never
 * writes while a `watch` or `sync` (or another apply) reconciles the same set. Like
 * Terraform's `-lock-timeout`, it fails at once naming the holder unless
 * `--lease-timeout` gives it time to wait.
 */
import { describeHolder } from '../../gcp/lease';
import { RunctlError } from '../../engine/types';
import { parseDuration } from '../../util/duration';
import type { Io } from '../../lib/io';
import { holdLease as holdSetLease } from '../../lib/lease';
import type { Target } from '../../lib/target';

export interface LeaseFlags {
  lease?: string;
  /** @default '30s' */
  leaseTtl?: string;
  /** How long to wait for a lease held by someone else. @default '0s' */
  leaseTimeout?: string;
}

function ms(text: string, flag: string): number {
  const s = parseDuration(text);
  if (s === undefined || s < 0) throw new RunctlError('Usage', `${flag}: not a duration: ${text} (use e.g. 0s, 30s, 5m)`, { source: 'user' });
  return Math.round(s * 1000);
}

/** Take the configured lease (if any) for `verb`; resolves to its release. */
export async function holdLease(flags: LeaseFlags & { set?: string }, io: Io, target: Target, verb: string): Promise<() => Promise<void>> {
  const url = flags.lease ?? (io.env.RUNCTL_LEASE || undefined);
  if (!url) return async () => undefined;
  return holdSetLease(
    {
      url,
      ttlMs: ms(flags.leaseTtl ?? '30s', '--lease-ttl') || 30_000,
      timeoutMs: ms(flags.leaseTimeout ?? '0s', '--lease-timeout'),
      set: flags.set ?? 'default',
      verb,
      signal: io.signal,
      onWait: (h) => io.stderr.write(`waiting for the lease ${url}: held by ${describeHolder(h)}\n`),
      onLost: (reason) => io.stderr.write(`lost the lease ${url}: ${reason}; stopped writing\n`),
    },
    target,
  );
}

/** Run `fn` holding the configured lease (none configured, or `skip`: just run it). */
export async function underLease<T>(flags: LeaseFlags & { set?: string }, io: Io, target: Target, verb: string, fn: () => Promise<T>, skip = false): Promise<T> {
  const release = skip ? async () => undefined : await holdLease(flags, io, target, verb);
  try {
    return await fn();
  } finally {
    await release();
  }
}
