/**
 * Resources applied at once unless `--parallelism` says otherwise. A resource in flight
 * mostly waits on a long-running operation (one WaitOperation call), so the useful bound
 * is the API's write quota, which the client-side rate limiter enforces separately: at
 * Cloud Run's 180 writes a minute per region and operations of tens of seconds, about a
 * hundred resources in flight keep the quota busy. 100 is also the number of concurrent
 * streams one HTTP/2 connection to Google's front ends commonly accepts, so waiting
 * resources never queue behind each other on the connection. Measured in `npm run bench`.
 */
export const DEFAULT_PARALLELISM = 100;

/** A counting semaphore: at most `n` tasks run at once. */
export function limiter(n: number): <T>(task: () => Promise<T>) => Promise<T> {
  let active = 0;
  const queue: Array<() => void> = [];
  const next = () => {
    if (active >= n || queue.length === 0) return;
    active++;
    queue.shift()!();
  };
  return <T>(task: () => Promise<T>) =>
    new Promise<T>((resolve, reject) => {
      queue.push(() => {
        task()
          .then(resolve, reject)
          .finally(() => {
            active--;
            next();
          });
      });
      next();
    });
}
