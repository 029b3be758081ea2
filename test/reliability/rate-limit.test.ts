/**
 * The client-side rate limiter: never more than the quota in any window, a full burst
 * at once, a pause when the server says RESOURCE_EXHAUSTED, and — against the emulator
 * enforcing a Cloud Run write quota — no request ever answered 429.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startEmulator } from '../../src/emulator/server';
import { Clients } from '../../src/gcp/clients';
import { parseRateLimits, quotaCall, RateLimiter } from '../../src/gcp/rate-limit';

describe('RateLimiter', () => {
  afterEach(() => vi.useRealTimers());

  it('lets a burst of the whole quota through at once, then one token per returned token', async () => {
    vi.useFakeTimers();
    const limiter = new RateLimiter({ 'run.write': { perMinute: 3 } }, { windowMs: 1000, marginMs: 0 });
    const started: number[] = [];
    const t0 = Date.now();
    // Each request finishes at once: its token returns one window later.
    const all = Array.from({ length: 7 }, () => limiter.run('run.write', 'r1', async () => void started.push(Date.now() - t0)));
    await vi.advanceTimersByTimeAsync(0);
    expect(started).toEqual([0, 0, 0]);
    await vi.advanceTimersByTimeAsync(1000);
    expect(started).toEqual([0, 0, 0, 1000, 1000, 1000]);
    await vi.advanceTimersByTimeAsync(1000);
    await Promise.all(all);
    expect(started).toEqual([0, 0, 0, 1000, 1000, 1000, 2000]);
    // Any window of 1000 ms holds at most 3 starts.
    for (const s of started) expect(started.filter((t) => t >= s && t < s + 1000).length).toBeLessThanOrEqual(3);
  });

  it('counts scopes (regions) separately and leaves unlimited groups alone', async () => {
    vi.useFakeTimers();
    const limiter = new RateLimiter({ 'run.write': { perMinute: 1 } }, { windowMs: 1000, marginMs: 0 });
    let done = 0;
    const quick = (group: string, scope?: string) => void limiter.run(group, scope, async () => void done++);
    quick('run.write', 'a');
    quick('run.write', 'b');
    quick('compute.write');
    quick('run.write', 'a');
    await vi.advanceTimersByTimeAsync(0);
    expect(done).toBe(3);
    expect(limiter.delayed['run.write']).toBe(1);
    await vi.advanceTimersByTimeAsync(1000);
    expect(done).toBe(4);
  });

  it('hands out nothing while paused by a Retry-After', async () => {
    vi.useFakeTimers();
    const limiter = new RateLimiter({ 'run.read': { perMinute: 100 } }, { windowMs: 1000, marginMs: 0 });
    limiter.pause('run.read', 'r', 500);
    let done = false;
    void limiter.run('run.read', 'r', async () => void (done = true));
    await vi.advanceTimersByTimeAsync(499);
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(done).toBe(true);
  });
});

describe('quota groups and configuration', () => {
  const cases = [
    { reason: 'a Cloud Run create is a regional write', api: 'run', method: 'createService', req: { parent: 'projects/p/locations/europe-north1' }, want: { group: 'run.write', scope: 'europe-north1' } },
    { reason: 'an IAM change is a write', api: 'run', method: 'setIamPolicy', req: { resource: 'projects/p/locations/us-central1/services/s' }, want: { group: 'run.write', scope: 'us-central1' } },
    { reason: 'a list is a read', api: 'run', method: 'listServices', req: { parent: 'projects/p/locations/us-central1' }, want: { group: 'run.read', scope: 'us-central1' } },
    { reason: 'waiting on an operation is a read', api: 'run', method: 'waitOperation', req: { name: 'projects/p/locations/r9/operations/x' }, want: { group: 'run.read', scope: 'r9' } },
    { reason: 'Compute quotas are per project, not per region', api: 'compute', method: 'insert', req: { project: 'p', region: 'r' }, want: { group: 'compute.write', scope: undefined } },
  ];
  it.each(cases)('$reason', ({ api, method, req, want }) => {
    expect(quotaCall(api, method, req)).toEqual(want);
  });

  it('parses RUNCTL_RATE_LIMITS on top of the defaults, and refuses nonsense', () => {
    expect(parseRateLimits(undefined)).toEqual({ 'run.write': { perMinute: 180 }, 'run.read': { perMinute: 1000 } });
    expect(parseRateLimits('run.write=60/min,compute.write=20')).toMatchObject({ 'run.write': { perMinute: 60 }, 'compute.write': { perMinute: 20 } });
    expect(parseRateLimits('run.read=off')).toEqual({ 'run.write': { perMinute: 180 } });
    expect(parseRateLimits('off')).toEqual({});
    expect(() => parseRateLimits('run.write=fast')).toThrow(/RUNCTL_RATE_LIMITS/);
    expect(() => parseRateLimits('run.write=0')).toThrow(/positive/);
  });
});

describe('against an emulator enforcing a write quota', () => {
  /**
   * The emulator runs its clock 60x (a quota minute is a real second); the client's
   * window is one real second plus a margin. 8 creates against a quota of 5 a minute.
   */
  async function createMany(rateLimits: Record<string, { perMinute: number }>) {
    const emu = await startEmulator({ port: 0, timeScale: 60 });
    emu.core.quotas.push({ group: 'Services.', kind: 'write', perMinute: 5 });
    const clients = new Clients({ mode: 'emulator', grpc: emu.grpc, http: emu.http }, undefined, { initialMs: 50, maxMs: 400 }, { rateLimits, limiter: { windowMs: 1000, marginMs: 100 } });
    try {
      const parent = 'projects/p/locations/europe-north1';
      await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          clients.runServices().createService({ parent, serviceId: `s${i}`, service: { template: { containers: [{ image: 'gcr.io/p/i:1' }] } } }).then(([op]) => op.promise()),
        ),
      );
      const calls = emu.core.stats.toJSON().calls['Services.CreateService'];
      const [list] = await clients.runServices().listServices({ parent, pageSize: 100 });
      // Create times on the emulator's (60x) clock, ms, ascending.
      const created = list.map((s) => Number(s.createTime?.seconds ?? 0) * 1000 + Math.round(Number(s.createTime?.nanos ?? 0) / 1e6)).sort((a, b) => a - b);
      return { calls, services: list.length, created };
    } finally {
      await clients.close();
      await emu.stop();
    }
  }

  it('stays under the quota: every create is accepted on its first attempt', async () => {
    const r = await createMany({ 'run.write': { perMinute: 5 } });
    expect(r.services).toBe(8);
    expect(r.calls).toBe(8);
    // The last three waited for the window: on the emulator's clock no quota minute holds
    // more than 5 creates, so the sixth came a simulated minute or more after the first.
    for (const t of r.created) expect(r.created.filter((u) => u >= t && u < t + 60_000).length).toBeLessThanOrEqual(5);
    expect(r.created[5] - r.created[0]).toBeGreaterThanOrEqual(60_000);
  });

  it('without a limiter the same creates are refused and retried (the server sees more calls)', async () => {
    const r = await createMany({});
    expect(r.services).toBe(8);
    expect(r.calls).toBeGreaterThan(8);
  });
});
