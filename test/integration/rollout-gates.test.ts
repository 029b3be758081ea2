/**
 * The gates: an Slo's burn-rate alert as the gate (the seed's story: 99% over a day,
 * alert at 10× over 5 minutes, and an image that answers 10% with 5xx), and what a
 * step without data does — fail, or hold — never pass.
 */
import * as YAML from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../helpers/harness';
import { advancing, canaryYaml, latestRevision, record, split } from './rollout-helpers';

const SLO_ROLLOUT = { strategy: 'canary', steps: [20, 100], interval: '5m', slo: 'shop-availability' };

function withSlo(img: string): string {
  const slo = {
    apiVersion: 'runctl.dev/v1alpha1',
    kind: 'Slo',
    metadata: { name: 'shop-availability' },
    spec: { service: 'shop', availability: { goal: 0.99, window: '1d' }, alerts: [{ burnRate: 10, lookback: '5m' }] },
  };
  return `${canaryYaml('shop', img, SLO_ROLLOUT)}---\n${YAML.stringify(slo)}`;
}

describe('SLO burn-rate gate', () => {
  let h: Harness;
  let file: string;
  beforeAll(async () => {
    h = await startHarness();
    file = h.write('shop.yaml', withSlo('shop:1'));
    const res = await h.cli(['apply', '-f', file]);
    expect(res.code, res.stderr).toBe(0);
  });
  afterAll(async () => h?.close());

  it('passes a good image on its burn rate, and says so in the plan', async () => {
    h.write('shop.yaml', withSlo('shop:2'));
    const plan = await h.cli(['plan', '-f', file]);
    expect(plan.stdout).toContain('gate: SLO shop-availability burn rate < 10 over 5m');
    const res = await advancing(h, h.cli(['apply', '-f', file]));
    expect(res.code, res.stderr).toBe(0);
    expect(res.stderr).toMatch(/step 1\/2 \(20% on shop-\S+\) passed: burn rate 0 over 5m \(SLO shop-availability, goal 99%; 0 of \d+ requests failed\) < alert threshold 10/);
    expect(await split(h, 'shop')).toEqual([`${await latestRevision(h, 'shop')}:100:good`]);
  });

  it('rolls back a failing image when it burns the budget at the alert rate, with the figures', async () => {
    const good = await latestRevision(h, 'shop');
    h.write('shop.yaml', withSlo('shop-failing:3'));
    const res = await advancing(h, h.cli(['apply', '-f', file]));
    expect(res.code).toBe(1);
    expect(res.stdout).toMatch(/failed at step 1\/2 \(20% on shop-\S+\): burn rate 10 over 5m \(SLO shop-availability, goal 99%; \d+ of \d+ requests failed\) ≥ alert threshold 10/);
    expect(res.stdout).toContain(`rolled back: 100% of traffic is on ${good} (tag good)`);
    const rec = await record(h, 'shop');
    expect(rec).toMatchObject({ phase: 'failed', good, last: { verdict: 'fail', burnRates: [{ lookback: '5m', burnRate: 10, threshold: 10 }] } });
    expect(rec.last.burnRates[0].errors * 10).toBe(rec.last.burnRates[0].requests);
  });
});

describe('no data', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => h?.close());

  // A private service receives no modelled traffic: every step is without data.
  const quiet = (img: string, onNoData: 'fail' | 'hold') =>
    canaryYaml(`quiet-${onNoData}`, img, { strategy: 'canary', steps: [50, 100], interval: '5m', maxErrorRate: 0.05, minRequests: 100, onNoData, noDataTimeout: '3m' }, { public: false });

  it('fails and rolls back after the wait (onNoData: fail), saying it was for lack of data', async () => {
    const file = h.write('quiet-fail.yaml', quiet('q:1', 'fail'));
    expect((await h.cli(['apply', '-f', file])).code).toBe(0);
    const good = await latestRevision(h, 'quiet-fail');
    h.write('quiet-fail.yaml', quiet('q:2', 'fail'));
    const res = await advancing(h, h.cli(['apply', '-f', file]));
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/no data: 0 request\(s\) reached the new revision, fewer than minRequests 100; waiting up to/);
    expect(res.stdout).toMatch(/failed at step 1\/2 \(50% on \S+\): no data: 0 request\(s\) reached the new revision, fewer than minRequests 100 after \S+ \(onNoData: fail\)/);
    expect(await record(h, 'quiet-fail')).toMatchObject({ phase: 'failed', good, last: { verdict: 'nodata' } });
    expect((await split(h, 'quiet-fail')).find((s) => s.endsWith(':good'))).toBe(`${good}:100:good`);
  });

  it('holds the split after the wait (onNoData: hold); data arriving later lets apply finish it', async () => {
    const file = h.write('quiet-hold.yaml', quiet('q:1', 'hold'));
    expect((await h.cli(['apply', '-f', file])).code).toBe(0);
    const good = await latestRevision(h, 'quiet-hold');
    h.write('quiet-hold.yaml', quiet('q:2', 'hold'));
    const res = await advancing(h, h.cli(['apply', '-f', file]));
    expect(res.code).toBe(1);
    const canary = await latestRevision(h, 'quiet-hold');
    expect(res.stdout).toContain(`rollout of ${canary} held at step 1/2 (50% on ${canary}): no data`);
    expect(res.stdout).toContain('(onNoData: hold); traffic stays split');
    expect(await split(h, 'quiet-hold')).toEqual([`${canary}:50:next`, `${good}:50:good`].sort());
    expect(await record(h, 'quiet-hold')).toMatchObject({ phase: 'holding', step: 1, percent: 50 });

    // Traffic arrives (the service gets its own rate); the next apply resumes and promotes.
    await fetch(`http://${h.emu.http}/__emulator/traffic`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ services: { 'quiet-hold': { rps: 5 } } }) });
    const plan = await h.cli(['plan', '-f', file]);
    expect(plan.stdout).toContain('resumes the canary rollout held on the service at step 1/2');
    const resumed = await advancing(h, h.cli(['apply', '-f', file]));
    expect(resumed.code, resumed.stdout + resumed.stderr).toBe(0);
    expect(await split(h, 'quiet-hold')).toEqual([`${canary}:100:good`]);
  });
});

describe('rollout validation', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => h?.close());

  it('names each problem with its place and makes no API call', async () => {
    const bad = [
      canaryYaml('a', 'a:1', { strategy: 'canary', steps: [50, 10], maxErrorRate: 0.1 }),
      canaryYaml('b', 'b:1', { strategy: 'canary', steps: [10, 100] }),
      canaryYaml('c', 'c:1', { strategy: 'canary', steps: [100], maxErrorRate: 0.1 }, { traffic: [{ latest: true, percent: 100 }] }),
      canaryYaml('d', 'd:1', { strategy: 'canary', steps: [100], slo: 'd-latency' }),
      YAML.stringify({ apiVersion: 'runctl.dev/v1alpha1', kind: 'Slo', metadata: { name: 'd-latency' }, spec: { service: 'd', latency: { threshold: '500ms', goal: 0.9, window: '1d' } } }),
    ].join('---\n');
    const file = h.write('bad.yaml', bad);
    await h.resetStats();
    const res = await h.cli(['validate', '-f', file]);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/bad\.yaml:\d+:\d+: Service\/a: spec\.rollout\.steps: steps must increase, got \[50, 10\] \[InvalidValue\]/);
    expect(res.stderr).toMatch(/Service\/b: spec\.rollout: a rollout needs a gate: slo \(an Slo in these manifests\) and\/or maxErrorRate/);
    expect(res.stderr).toMatch(/Service\/c: spec\.traffic: spec\.traffic and spec\.rollout cannot both be set/);
    expect(res.stderr).toMatch(/Service\/d: spec\.rollout\.slo: Slo\/d-latency has no availability objective/);
    expect(res.stderr).toMatch(/Service\/d: spec\.rollout\.slo: Slo\/d-latency has no alerts/);
    expect((await h.stats()).reads + (await h.stats()).writes).toBe(0);
  });
});
