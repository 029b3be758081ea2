/**
 * The one place a `Session` is built: every verb, every loop pass and the tests that
 * drive the engine directly get their session (and with it the controller registry)
 * from here.
 */
import type { Controller, TargetInfo } from '../engine/controller';
import type { EventHost } from '../engine/events';
import { Session } from '../engine/session';
import type { Clients } from '../gcp/clients';
import type { Io } from './io';
import { controllers } from './registry';
import { openTarget, type Target, type TargetFlags } from './target';

/** What a session is made of; everything but the target has a default. */
export interface SessionSpec {
  target: { info: TargetInfo; clients: Clients };
  /** Ownership set. @default 'default' */
  set?: string;
  parallelism?: number;
  /** Where engine events go. @default silent */
  host?: EventHost;
  /** Labels written on what the session creates or updates (the commit, for `sync`). */
  stampLabels?: Record<string, string>;
  /** @default every registered controller */
  controllers?: readonly Controller[];
}

/** A session over the registry's controllers (or the ones given). */
export function newSession(spec: SessionSpec): Session {
  return new Session({
    controllers: [...(spec.controllers ?? controllers())],
    target: spec.target.info,
    clients: spec.target.clients,
    set: spec.set,
    parallelism: spec.parallelism,
    host: spec.host,
    stampLabels: spec.stampLabels,
  });
}

/** An open target and a session on it, for the length of one verb. */
export interface Opened {
  target: Target;
  session: Session;
}

/** What opening a session for a verb needs besides the target flags. */
export interface OpenOptions extends TargetFlags {
  set?: string;
  parallelism?: number;
  host?: EventHost;
  /** Lines the clients report while they wait (slow operations, retries). */
  progress?: (line: string) => void;
}

/**
 * Open the target, check it can be reached (missing credentials or a stopped emulator:
 * one clear error now, not one per call after minutes of retries), run `fn` with a
 * session, and close the target whatever happens.
 */
export async function withSession<T>(opts: OpenOptions, io: Pick<Io, 'env' | 'cwd' | 'stderr'>, fn: (o: Opened) => Promise<T>): Promise<T> {
  const target = await openTarget({ project: opts.project, region: opts.region, transport: opts.transport }, io);
  try {
    if (opts.progress) target.clients.progress = opts.progress;
    await target.clients.preflight();
    const session = newSession({ target, set: opts.set, parallelism: opts.parallelism, host: opts.host });
    return await fn({ target, session });
  } finally {
    await target.close();
  }
}
