/**
 * Time for rollouts. A canary step is observed for `interval` of the target's time, and
 * its metrics are read for intervals of that time, so the clock must be the target's:
 *
 * - Google Cloud: real time (`Date.now()`, timers).
 * - A standalone emulator (`RUNCTL_EMULATOR_HOST`): the emulator's simulated clock,
 *   read from `GET /__emulator/clock`. runctl waits until it has moved on (long polls of
 *   `POST /__emulator/clock/wait`, answered as soon as the clock gets there): at
 *   `--time-scale N` it moves N times faster than real time, and whoever drives the
 *   emulator (a test, a person with `POST /__emulator/clock/advance`) may move it on.
 *   runctl never sleeps in real time for simulated time, and never moves a clock it
 *   shares with others.
 * - The embedded emulator: runctl owns it for the run, so it moves the clock itself
 *   (`POST /__emulator/clock/advance`): a five-minute step takes no real time.
 */
import type { TargetInfo } from '../../../src/engine/controller';
import type { Clients } from '../../../src/gcp/clients';
import { RunctlError } from '../../../src/engine/types';

export interface RolloutClock {
  /** `real`, `emulator` (waits for the emulator's clock) or `emulator-advance` (moves it). */
  readonly kind: 'real' | 'emulator' | 'emulator-advance';
  /** Current time of the target, ms since the epoch. */
  now(): Promise<number>;
  /** Resolve once the target's clock reads `at` or later; reject when `signal` aborts. */
  sleepUntil(at: number, signal?: AbortSignal): Promise<void>;
}

function aborted(signal?: AbortSignal): RunctlError {
  const why = signal?.reason instanceof Error ? signal.reason.message : 'interrupted';
  return new RunctlError('Aborted', `rollout interrupted (${why}); its progress is recorded on the service and the next apply or watch resumes it`);
}

/** Sleep `ms` of real time, or until `signal` aborts. */
function realSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(aborted(signal));
    const onAbort = () => {
      clearTimeout(timer);
      reject(aborted(signal));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, Math.max(0, Math.min(ms, 2 ** 31 - 1)));
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Real time. */
export const realClock: RolloutClock = {
  kind: 'real',
  async now() {
    return Date.now();
  },
  async sleepUntil(at, signal) {
    for (let left = at - Date.now(); left > 0; left = at - Date.now()) await realSleep(left, signal);
  },
};

/** The simulated clock of an emulator reachable at `http` (`host:port`). */
export function emulatorClock(http: string, mode: 'wait' | 'advance'): RolloutClock {
  const base = `http://${http}/__emulator/clock`;
  const read = async (): Promise<number> => {
    const res = await fetch(base);
    if (!res.ok) throw new RunctlError('ApiError', `emulator clock: HTTP ${res.status}`);
    return Date.parse(((await res.json()) as { now: string }).now);
  };
  return {
    kind: mode === 'advance' ? 'emulator-advance' : 'emulator',
    async now() {
      return read();
    },
    async sleepUntil(at, signal) {
      for (;;) {
        if (signal?.aborted) throw aborted(signal);
        const now = await read();
        if (now >= at) return;
        if (mode === 'advance') {
          const res = await fetch(`${base}/advance`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ seconds: (at - now) / 1000 }) });
          if (!res.ok) throw new RunctlError('ApiError', `emulator clock advance: HTTP ${res.status}`);
          continue;
        }
        // Long poll: the emulator answers when its clock gets there (it moves with its
        // time scale, or at once when someone advances it), or after a few real seconds.
        const res = await fetch(`${base}/wait`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ until: new Date(at).toISOString(), timeoutSeconds: 5 }),
          signal,
        }).catch((err) => {
          if (signal?.aborted) throw aborted(signal);
          throw err;
        });
        if (!res.ok) throw new RunctlError('ApiError', `emulator clock wait: HTTP ${res.status}`);
        await res.json();
      }
    },
  };
}

/** The clock of the target the clients talk to (see the file comment for the rules). */
export function clockFor(clients: Clients, target: TargetInfo): RolloutClock {
  if (clients.endpoint.mode === 'google' || !clients.endpoint.http) return realClock;
  return emulatorClock(clients.endpoint.http, target.mode === 'embedded' ? 'advance' : 'wait');
}
