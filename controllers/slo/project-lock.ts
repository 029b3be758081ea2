/**
 * Per-key async mutex. Cloud Monitoring answers parallel edits of one project's
 * alerting/SLO configuration with "Too many concurrent edits to the project
 * configuration" (gcp-apis.md §5.6; Terraform serialises them too), so controllers
 * that write Monitoring config run their writes for a project one at a time.
 */
import { apiError, GrpcCode } from '../../src/gcp/errors';

const tails = new Map<string, Promise<void>>();

/**
 * Run `fn` after every earlier holder of `key` has finished (in call order). A failed
 * holder releases the lock too.
 */
export async function withLock<T>(key: string, fn: () => Promise<T>): Promise<T> {
  const previous = tails.get(key) ?? Promise.resolve();
  let release!: () => void;
  const mine = new Promise<void>((r) => (release = r));
  const tail = previous.then(() => mine);
  tails.set(key, tail);
  await previous;
  try {
    return await fn();
  } finally {
    release();
    // Forget the key once nobody queued behind us, so the map does not grow.
    if (tails.get(key) === tail) tails.delete(key);
  }
}

/** Whether an error is Monitoring's "Too many concurrent edits" (ABORTED, or 503 historically). */
export function isConcurrentEdit(err: unknown): boolean {
  const info = apiError(err);
  return (info.code === GrpcCode.ABORTED || info.code === GrpcCode.UNAVAILABLE) && /concurrent edits/i.test(info.message);
}

/**
 * Retry a Monitoring write that failed because another client (outside this process)
 * edited the project configuration at the same moment.
 * @param attempts total attempts. @default 5
 */
export async function retryConcurrentEdits<T>(fn: () => Promise<T>, attempts = 5, baseMs = 250): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (err) {
      if (i >= attempts || !isConcurrentEdit(err)) throw err;
      await new Promise((r) => setTimeout(r, baseMs * 2 ** (i - 1) * (0.5 + Math.random() / 2)));
    }
  }
}
