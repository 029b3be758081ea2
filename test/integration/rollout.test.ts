/**
 * Canary rollouts end to end: the CLI in-process against a standalone emulator whose
 * traffic model feeds Cloud Monitoring; simulated time is moved on while the CLI waits
 * for it. Live state is read through the real Cloud Run client.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../helpers/harness';
import { advancing, canaryYaml, latestRevision, record, split } from './rollout-helpers';

describe('canary rollout', () => {
  let h: Harness;
  let file: string;
  let first: string;
  let second: string;
  beforeAll(async () => {
    h = await startHarness();
    file = h.write('shop.yaml', canaryYaml('shop', 'shop:1'));
    const created = await h.cli(['apply', '-f', file]);
    expect(created.code, created.stderr).toBe(0);
    first = await latestRevision(h, 'shop');
  });
  afterAll(async () => h?.close());

  it('plans the rollout: steps, interval, total time and gate', async () => {
    h.write('shop.yaml', canaryYaml('shop', 'shop:2'));
    const plan = await h.cli(['plan', '-f', file]);
    expect(plan.code).toBe(2);
    expect(plan.stdout).toContain('runs a canary rollout');
    expect(plan.stdout).toContain('10% → 50% → 100%, each observed for 5m (at least 15m)');
    expect(plan.stdout).toContain('gate: 5xx ratio ≤ 2%');
  });

  it('promotes a good image through 10 → 50 → 100; it ends tagged good with all traffic', async () => {
    h.write('shop.yaml', canaryYaml('shop', 'shop:2'));
    const res = await advancing(h, h.cli(['apply', '-f', file]));
    expect(res.code, res.stderr).toBe(0);
    second = await latestRevision(h, 'shop');
    expect(second).not.toBe(first);
    expect(await split(h, 'shop')).toEqual([`${second}:100:good`]);
    const steps = [...res.stderr.matchAll(/step (\d)\/3: (\d+)% of traffic to/g)].map((m) => `${m[1]}:${m[2]}`);
    expect(steps).toEqual(['1:10', '2:50', '3:100']);
    expect(res.stderr).toMatch(/step 3\/3 \(100% on .*\) passed: 5xx ratio 0% \(0 of \d+ requests\) ≤ maxErrorRate 2%/);
    expect(await record(h, 'shop')).toMatchObject({ phase: 'succeeded', revision: second, good: first, percent: 100 });

    await h.resetStats();
    const again = await h.cli(['apply', '-f', file]);
    expect(again.code).toBe(0);
    expect((await h.stats()).writes).toBe(0);
  });

  it('rolls a failing image back automatically and exits 1 with the measured error ratio', async () => {
    h.write('shop.yaml', canaryYaml('shop', 'shop-failing:3'));
    const res = await advancing(h, h.cli(['apply', '-f', file]));
    expect(res.code).toBe(1);
    const bad = await latestRevision(h, 'shop');
    const out = res.stdout + res.stderr;
    const m = /rollout of shop-\S+ failed at step 1\/3 \(10% on shop-\S+\): 5xx ratio 10% \((\d+) of (\d+) requests\) > maxErrorRate 2%/.exec(out);
    expect(m, out).not.toBeNull();
    expect(Number(m![2])).toBe(10 * Number(m![1]));
    expect(Number(m![2])).toBeGreaterThanOrEqual(100);
    expect(out).toContain(`rolled back: 100% of traffic is on ${second} (tag good)`);
    expect(await split(h, 'shop')).toEqual([`${bad}:0:next`, `${second}:100:good`].sort());
    expect(await record(h, 'shop')).toMatchObject({ phase: 'failed', revision: bad, good: second, last: { verdict: 'fail' } });

    // The failure stands: the same manifest again changes nothing, and says why.
    await h.resetStats();
    const again = await h.cli(['apply', '-f', file]);
    expect(again.code).toBe(0);
    expect((await h.stats()).writes).toBe(0);
    const status = await h.cli(['rollout', 'status', 'shop', '-f', file]);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/Rollout of shop-\S+: failed/);
    expect(status.stdout).toMatch(/last check \(fail, .*\): 5xx ratio \d+(\.\d+)?% \(\d+ of \d+ requests\) > maxErrorRate 2%/);
  });

  it('a new revision that never becomes ready fails the rollout before any traffic moves', async () => {
    await fetch(`http://${h.emu.http}/__emulator/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ method: 'Services.UpdateService', code: 'FAILED_PRECONDITION', times: 1, operation: true, message: 'Container failed to start and listen on the port' }),
    });
    h.write('shop.yaml', canaryYaml('shop', 'shop:5'));
    const res = await advancing(h, h.cli(['apply', '-f', file]));
    expect(res.code).toBe(1);
    const broken = await latestRevision(h, 'shop');
    expect(res.stdout).toMatch(new RegExp(`rollout of ${broken} failed at its start \\(${broken} had no traffic yet\\): the new revision ${broken} is not ready: .*Container failed to start`));
    expect(await split(h, 'shop')).toEqual([`${second}:100:good`]);
    expect(await record(h, 'shop')).toMatchObject({ phase: 'failed', revision: broken, good: second });
  });
});
