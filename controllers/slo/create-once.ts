/**
 * Creating objects whose IDs the server assigns (alert policies, notification channels)
 * exactly once. Such a create cannot be repeated safely: sent twice, it makes two objects.
 * So every one carries runctl's identity labels (`src/engine/ownership.ts`), the caller
 * looks for an object with that identity before creating, and a create whose outcome is
 * unknown — deadline passed, connection lost — is followed by lookups, never by a blind
 * second create. Two processes that create at the same moment still make two; both then
 * agree on the oldest as the keeper (`keeperOf`) and the other is deleted as a duplicate.
 */
import { apiError, isAmbiguous } from '../../src/gcp/errors';
import { RunctlError } from '../../src/engine/types';

export interface CreateOnceOptions<T> {
  /** What is made, for messages: `alert policy #0 of Slo/jokes`. */
  what: string;
  /** The create call (sent at most once per attempt, never retried on an ambiguous error). */
  create(): Promise<T>;
  /** Find the object by its identity, fresh from the API (undefined: none yet). */
  lookup(): Promise<T | undefined>;
  progress?(message: string): void;
  /**
   * Waits before each lookup after an unknown outcome, ms: a create that timed out on the
   * client may still be running on the server.
   * @default [0, 250, 500, 1000, 2000, 4000]
   */
  settleMs?: number[];
  /** Creates sent in total when lookups find nothing. @default 3 */
  attempts?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Create once: on an unknown outcome, look the object up (a few times) before creating again. */
export async function createOnce<T>(o: CreateOnceOptions<T>): Promise<T> {
  const attempts = o.attempts ?? 3;
  for (let attempt = 1; ; attempt++) {
    try {
      return await o.create();
    } catch (err) {
      if (!isAmbiguous(err)) throw err;
      o.progress?.(`${o.what}: no answer to the create (${apiError(err).message}); looking it up before creating again`);
      for (const ms of o.settleMs ?? [0, 250, 500, 1000, 2000, 4000]) {
        await sleep(ms);
        const found = await o.lookup();
        if (found) return found;
      }
      if (attempt >= attempts) {
        throw new RunctlError('ApiError', `${o.what}: the create failed ${attempts} times without an answer and no such object was found: ${apiError(err).message}`, { cause: err, source: 'system' });
      }
    }
  }
}

/** A protobuf Timestamp as Monitoring reads give it: an object, or RFC 3339 text over REST. */
type MutateTime = string | { seconds?: number | string | { toString(): string } | null; nanos?: number | null } | null;

/** Something with a Monitoring creation record. */
interface Created {
  name?: string | null;
  creationRecord?: { mutateTime?: MutateTime } | null;
}

/** Creation time of a Monitoring object in ms (`creationRecord.mutateTime`), Infinity when unknown. */
export function createdMs(obj: Created): number {
  const t = obj.creationRecord?.mutateTime;
  if (!t) return Number.POSITIVE_INFINITY;
  if (typeof t === 'string') return Date.parse(t);
  return Number(t.seconds ?? 0) * 1000 + Number(t.nanos ?? 0) / 1e6;
}

/**
 * Sort objects with one identity so every process picks the same keeper: the oldest,
 * then the smallest name. (The later of two concurrent creators always sees the earlier
 * object when it looks after its own create, so it is the one that gives way.)
 */
export function keeperFirst<T extends Created>(objs: T[]): T[] {
  return [...objs].sort((a, b) => createdMs(a) - createdMs(b) || String(a.name).localeCompare(String(b.name)));
}
