/**
 * Helpers for the rollout tests: manifests with `spec.rollout`, driving the emulator's
 * simulated clock while the CLI waits on it, and reading the live traffic split and
 * rollout record through the real Cloud Run client.
 */
import { run } from '../../src/cli/program';
import type { Harness, CliResult } from '../helpers/harness';
import { serviceYaml } from '../helpers/harness';

export const REGION = 'europe-north1';
export const PARENT = `projects/local-project/locations/${REGION}`;
export const image = (name: string) => `europe-north1-docker.pkg.dev/local-project/shop/${name}`;

export const ROLLOUT = { strategy: 'canary', steps: [10, 50, 100], interval: '5m', maxErrorRate: 0.02, minRequests: 100 };

/** A public Service with a canary rollout. */
export function canaryYaml(name: string, img: string, rollout: Record<string, unknown> = ROLLOUT, extra: Record<string, unknown> = {}): string {
  return serviceYaml(name, { image: image(img), public: true, rollout, ...extra });
}

/**
 * Run `p` while moving the emulator's clock on by `seconds` every few milliseconds, as
 * time passes for a real rollout; stops when `p` settles.
 */
export async function advancing<T>(h: Harness, p: Promise<T>, seconds = 20): Promise<T> {
  let done = false;
  const loop = (async () => {
    while (!done) {
      await fetch(`http://${h.emu.http}/__emulator/clock/advance`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ seconds }) });
      await new Promise((r) => setTimeout(r, 3));
    }
  })();
  try {
    return await p;
  } finally {
    done = true;
    await loop;
  }
}

/** `runctl ...` in-process with a signal the test can abort (SIGINT). */
export function cliWithSignal(h: Harness, args: string[], signal: AbortSignal): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  return run(args, {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    env: { RUNCTL_EMULATOR_HOST: h.emu.grpc },
    cwd: h.dir,
    signal,
  }).then((code) => ({ code, stdout, stderr }));
}

export async function liveService(h: Harness, name: string): Promise<any> {
  const [svc] = await h.clients.runServices().getService({ name: `${PARENT}/services/${name}` });
  return svc;
}

/** The live split as `revision:percent:tag` strings, sorted. */
export async function split(h: Harness, name: string): Promise<string[]> {
  const svc = await liveService(h, name);
  return ((svc.trafficStatuses ?? []) as any[]).map((t) => `${t.revision}:${t.percent ?? 0}:${t.tag ?? ''}`).sort();
}

/** The rollout record on the service (annotation `runctl.dev/rollout`). */
export async function record(h: Harness, name: string): Promise<any> {
  const raw = (await liveService(h, name)).annotations?.['runctl.dev/rollout'];
  return raw ? JSON.parse(raw) : undefined;
}

export async function latestRevision(h: Harness, name: string): Promise<string> {
  return String((await liveService(h, name)).latestCreatedRevision).split('/').pop()!;
}

/** Wait (real time, bounded) until `check` holds. */
export async function until(check: () => Promise<boolean>, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
