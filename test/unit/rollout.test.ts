/**
 * The pure parts of progressive delivery, as tables of named cases: the gate's verdict,
 * the traffic split of each step, which revision is `good`, whether a recorded rollout
 * is still active, the settings' defaults, and what plans say.
 */
import { describe, expect, it } from 'vitest';
import { evaluateGate, type GateInput } from '../../controllers/service/rollout/gate';
import { planRollout, validateRollout } from '../../controllers/service/rollout/plan';
import {
  activeRollout,
  humanDuration,
  nextStep,
  ROLLOUT_ANNOTATION,
  rolloutConfig,
  servingRevision,
  startTraffic,
  stepTraffic,
  type RolloutRecord,
} from '../../controllers/service/rollout/state';
import type { Manifest } from '../../src/engine/types';

const T0 = Date.parse('2026-01-01T12:00:00Z');
const gate = (g: Partial<GateInput['gate']> = {}): GateInput['gate'] => ({ minRequests: 100, onNoData: 'fail', ...g });
const slo = { name: 'avail', goal: 0.99, alerts: [{ burnRate: 10, lookbackSeconds: 300 }] };

describe('evaluateGate', () => {
  const cases: Array<{ name: string; reason: string; input: Omit<GateInput, 'at' | 'since'>; verdict: string; summary: RegExp }> = [
    {
      name: 'healthy canary under maxErrorRate',
      reason: 'a 1% ratio is under a 2% limit',
      input: { gate: gate({ maxErrorRate: 0.02 }), step: { requests: 1000, errors: 10 }, lookbacks: [] },
      verdict: 'pass',
      summary: /^5xx ratio 1% \(10 of 1000 requests\) ≤ maxErrorRate 2%$/,
    },
    {
      name: 'exactly at maxErrorRate',
      reason: 'the limit is a maximum: equal passes',
      input: { gate: gate({ maxErrorRate: 0.02 }), step: { requests: 1000, errors: 20 }, lookbacks: [] },
      verdict: 'pass',
      summary: /≤ maxErrorRate 2%/,
    },
    {
      name: 'failing canary over maxErrorRate',
      reason: 'the seed\'s failing image answers 10% with 5xx',
      input: { gate: gate({ maxErrorRate: 0.02 }), step: { requests: 1500, errors: 150 }, lookbacks: [] },
      verdict: 'fail',
      summary: /^5xx ratio 10% \(150 of 1500 requests\) > maxErrorRate 2%$/,
    },
    {
      name: 'too few requests',
      reason: 'below minRequests is no data, never a pass, even with zero errors',
      input: { gate: gate({ maxErrorRate: 0.02 }), step: { requests: 99, errors: 0 }, lookbacks: [] },
      verdict: 'nodata',
      summary: /^no data: 99 request\(s\) reached the new revision, fewer than minRequests 100$/,
    },
    {
      name: 'zero requests with minRequests 0',
      reason: 'no request at all is no data whatever minRequests says',
      input: { gate: gate({ maxErrorRate: 0.02, minRequests: 0 }), step: { requests: 0, errors: 0 }, lookbacks: [] },
      verdict: 'nodata',
      summary: /^no data: 0 request/,
    },
    {
      name: 'burn rate exactly at the alert threshold',
      reason: '10% errors against a 99% goal burns at 10x: the alert rate fails the gate, despite floating point (0.1 / 0.01 = 9.99...)',
      input: { gate: gate({ slo }), step: { requests: 1200, errors: 120 }, lookbacks: [{ requests: 1200, errors: 120 }] },
      verdict: 'fail',
      summary: /^burn rate 10 over 5m \(SLO avail, goal 99%; 120 of 1200 requests failed\) ≥ alert threshold 10$/,
    },
    {
      name: 'burn rate under the threshold',
      reason: '5% errors burn at 5x',
      input: { gate: gate({ slo }), step: { requests: 1000, errors: 50 }, lookbacks: [{ requests: 1000, errors: 50 }] },
      verdict: 'pass',
      summary: /^burn rate 5 over 5m .* < alert threshold 10$/,
    },
    {
      name: 'both gates, one fails',
      reason: 'any failing gate fails the step, and only the failures are reported',
      input: { gate: gate({ slo, maxErrorRate: 0.01 }), step: { requests: 1000, errors: 50 }, lookbacks: [{ requests: 1000, errors: 50 }] },
      verdict: 'fail',
      summary: /^5xx ratio 5% \(50 of 1000 requests\) > maxErrorRate 1%$/,
    },
    {
      name: 'burn rate over a lookback without requests',
      reason: 'the step has data; a quiet lookback burns nothing',
      input: { gate: gate({ slo }), step: { requests: 500, errors: 0 }, lookbacks: [{ requests: 0, errors: 0 }] },
      verdict: 'pass',
      summary: /burn rate 0 over 5m/,
    },
  ];
  it.each(cases)('$name', ({ input, verdict, summary, reason }) => {
    const got = evaluateGate({ ...input, at: T0, since: T0 - 300_000 });
    expect(got.verdict, reason).toBe(verdict);
    expect(got.summary, reason).toMatch(summary);
    expect(got).toMatchObject({ requests: input.step.requests, errors: input.step.errors, at: '2026-01-01T12:00:00.000Z', since: '2026-01-01T11:55:00.000Z' });
  });
});

describe('steps and splits', () => {
  const steps: Array<{ name: string; reason: string; steps: number[]; percent: number; want: ReturnType<typeof nextStep> }> = [
    { name: 'first step', reason: 'a new rollout starts at 0%', steps: [10, 50, 100], percent: 0, want: { step: 1, percent: 10 } },
    { name: 'middle step', reason: 'from 10% the next is 50%', steps: [10, 50, 100], percent: 10, want: { step: 2, percent: 50 } },
    { name: 'after the last step', reason: 'nothing follows 100%', steps: [10, 50, 100], percent: 100, want: undefined },
    { name: 'last step below 100', reason: 'steps need not reach 100: promotion follows the last', steps: [25, 50], percent: 50, want: undefined },
    { name: 'percent between steps', reason: 'a record from other settings resumes at the next higher step', steps: [10, 50, 100], percent: 30, want: { step: 2, percent: 50 } },
  ];
  it.each(steps)('nextStep: $name', ({ steps: s, percent, want, reason }) => {
    expect(nextStep(s, percent), reason).toEqual(want);
  });

  it('splits: start, step, final', () => {
    const rev = (revision: string, percent: number, tag?: string) => ({ type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION', revision, percent, ...(tag ? { tag } : {}) });
    expect(startTraffic('s-1')).toEqual([rev('s-1', 100, 'good'), { type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST', percent: 0, tag: 'next' }]);
    expect(stepTraffic('s-1', 's-2', 10)).toEqual([rev('s-1', 90, 'good'), rev('s-2', 10, 'next')]);
    // At 100% the new revision is observed before it becomes good.
    expect(stepTraffic('s-1', 's-2', 100)).toEqual([rev('s-1', 0, 'good'), rev('s-2', 100, 'next')]);
    expect(stepTraffic('s-1', 's-2', 100, true)).toEqual([rev('s-2', 100, 'good')]);
  });
});

describe('servingRevision and activeRollout', () => {
  const svc = (statuses: Array<[string, number, string?]>, extra: Record<string, any> = {}) => ({
    trafficStatuses: statuses.map(([revision, percent, tag]) => ({ revision, percent, tag })),
    latestReadyRevision: 'projects/p/locations/r/services/s/revisions/s-3',
    latestCreatedRevision: 'projects/p/locations/r/services/s/revisions/s-3',
    ...extra,
  });
  const serving: Array<{ name: string; reason: string; svc: any; want: string | undefined }> = [
    { name: 'the only revision', reason: 'all traffic on one revision', svc: svc([['s-1', 100]]), want: 's-1' },
    { name: 'tagged good wins', reason: 'a past rollout tagged it', svc: svc([['s-1', 40, 'good'], ['s-2', 60, 'next']]), want: 's-1' },
    { name: 'largest share', reason: 'a hand-made split without tags', svc: svc([['s-1', 30], ['s-2', 70]]), want: 's-2' },
    { name: 'good at 0% is not serving', reason: 'during the 100% step the old good has no traffic', svc: svc([['s-1', 0, 'good'], ['s-2', 100, 'next']]), want: 's-2' },
    { name: 'nothing serving yet', reason: 'falls back to the latest ready revision', svc: svc([]), want: 's-3' },
  ];
  it.each(serving)('servingRevision: $name', ({ svc: s, want, reason }) => {
    expect(servingRevision(s), reason).toBe(want);
  });

  const rec = (r: Partial<RolloutRecord>): string => JSON.stringify({ phase: 'progressing', good: 's-1', percent: 10, step: 1, steps: [10, 100], intervalSeconds: 300, startedAt: '', gate: gate(), ...r });
  const active: Array<{ name: string; reason: string; annotations: Record<string, string>; want: boolean }> = [
    { name: 'progressing on the latest revision', reason: 'the normal case', annotations: { [ROLLOUT_ANNOTATION]: rec({ revision: 's-3' }) }, want: true },
    { name: 'holding', reason: 'a held rollout is resumed too', annotations: { [ROLLOUT_ANNOTATION]: rec({ revision: 's-3', phase: 'holding' }) }, want: true },
    { name: 'not started, revision unknown yet', reason: 'the template write finished but no step was written', annotations: { [ROLLOUT_ANNOTATION]: rec({ step: 0, percent: 0 }) }, want: true },
    { name: 'superseded', reason: 'a newer template made another revision latest', annotations: { [ROLLOUT_ANNOTATION]: rec({ revision: 's-2' }) }, want: false },
    { name: 'finished', reason: 'succeeded rollouts are not driven', annotations: { [ROLLOUT_ANNOTATION]: rec({ revision: 's-3', phase: 'succeeded' }) }, want: false },
    { name: 'garbage', reason: 'an unreadable record is ignored, not fatal', annotations: { [ROLLOUT_ANNOTATION]: '{nope' }, want: false },
    { name: 'no record', reason: 'services without rollouts', annotations: {}, want: false },
  ];
  it.each(active)('activeRollout: $name', ({ annotations, want, reason }) => {
    expect(!!activeRollout(svc([['s-1', 100]], { annotations })), reason).toBe(want);
  });
});

describe('settings and plans', () => {
  const service = (rollout: Record<string, unknown> | undefined, extra: Record<string, unknown> = {}): Manifest => ({
    apiVersion: 'runctl.dev/v1alpha1',
    kind: 'Service',
    metadata: { name: 's' },
    spec: { image: 'i', ...(rollout ? { rollout } : {}), ...extra },
  });
  const sloManifest: Manifest = { apiVersion: 'runctl.dev/v1alpha1', kind: 'Slo', metadata: { name: 'avail' }, spec: { service: 's', availability: { goal: 0.995, window: '28d' }, alerts: [{ burnRate: 14.4, lookback: '1h' }, { burnRate: 6, lookback: '6h' }] } };
  const manifestOf = (key: string) => (key === 'Slo/avail' ? sloManifest : undefined);

  it('fills defaults: interval 5m, minRequests 100, onNoData fail, noDataTimeout = interval; reads the Slo', () => {
    expect(rolloutConfig(service({ strategy: 'canary', steps: [10, 100], maxErrorRate: 0.02 }), manifestOf)).toEqual({
      steps: [10, 100], intervalSeconds: 300, minRequests: 100, onNoData: 'fail', noDataTimeoutSeconds: 300, maxErrorRate: 0.02,
    });
    expect(rolloutConfig(service({ strategy: 'canary', steps: [50], interval: '2m', slo: 'avail', onNoData: 'hold', noDataTimeout: '30m', minRequests: 10 }), manifestOf)).toEqual({
      steps: [50], intervalSeconds: 120, minRequests: 10, onNoData: 'hold', noDataTimeoutSeconds: 1800,
      slo: { name: 'avail', goal: 0.995, alerts: [{ burnRate: 14.4, lookbackSeconds: 3600 }, { burnRate: 6, lookbackSeconds: 21600 }] },
    });
    expect(rolloutConfig(service(undefined), manifestOf)).toBeUndefined();
  });

  const live = { trafficStatuses: [{ revision: 's-1', percent: 100 }], latestCreatedRevision: 'x/revisions/s-1', annotations: {} };
  const plans: Array<{ name: string; reason: string; m: Manifest; live: any; template: boolean; resume: boolean; note: RegExp | undefined }> = [
    { name: 'template change with rollout', reason: 'the plan says a rollout runs and how long it takes', m: service({ strategy: 'canary', steps: [10, 50, 100], interval: '5m', slo: 'avail' }), live, template: true, resume: false, note: /runs a canary rollout: .* 10% → 50% → 100%, each observed for 5m \(at least 15m\); gate: SLO avail burn rate < 14\.4 over 1h; SLO avail burn rate < 6 over 6h/ },
    { name: 'create', reason: 'a new service has nothing to protect', m: service({ strategy: 'canary', steps: [10], maxErrorRate: 0.1 }), live: undefined, template: true, resume: false, note: undefined },
    { name: 'template change without rollout', reason: 'no note', m: service(undefined), live, template: true, resume: false, note: undefined },
    { name: 'rollout removed after one ran', reason: 'the pinned split gives way to latest', m: service(undefined), live: { ...live, annotations: { [ROLLOUT_ANNOTATION]: JSON.stringify({ phase: 'succeeded', revision: 's-1', good: 's-0' }) } }, template: true, resume: false, note: /spec\.rollout was removed/ },
    {
      name: 'unfinished rollout, same template',
      reason: 'a recorded step resumes without any field change',
      m: service({ strategy: 'canary', steps: [10, 50, 100], maxErrorRate: 0.1 }),
      live: { ...live, latestCreatedRevision: 'x/revisions/s-2', annotations: { [ROLLOUT_ANNOTATION]: JSON.stringify({ phase: 'progressing', revision: 's-2', good: 's-1', step: 2, percent: 50, steps: [10, 50, 100] }) } },
      template: false,
      resume: true,
      note: /resumes the canary rollout recorded on the service at step 2\/3 \(50% on s-2\); at most 15m more/,
    },
    {
      name: 'failed rollout, same template',
      reason: 'a failure stands until the template changes, and the plan says why nothing happens',
      m: service({ strategy: 'canary', steps: [10, 100], maxErrorRate: 0.1 }),
      live: { ...live, latestCreatedRevision: 'x/revisions/s-2', annotations: { [ROLLOUT_ANNOTATION]: JSON.stringify({ phase: 'failed', revision: 's-2', good: 's-1', last: { verdict: 'fail', summary: '5xx ratio 10%' } }) } },
      template: false,
      resume: false,
      note: /the rollout of s-2 failed \(5xx ratio 10%\); s-1 serves 100% \(tag good\)/,
    },
  ];
  it.each(plans)('planRollout: $name', ({ m, live: l, template, resume, note, reason }) => {
    const got = planRollout(m, l, template, manifestOf);
    expect(got.resume, reason).toBe(resume);
    if (note) expect(got.notes.join('\n'), reason).toMatch(note);
    else expect(got.notes, reason).toEqual([]);
  });

  it('validateRollout: the Slo must measure this service', () => {
    const other: Manifest = { ...sloManifest, spec: { ...sloManifest.spec, service: 'other' } };
    const d = validateRollout(service({ strategy: 'canary', steps: [10], slo: 'avail' }), [other]);
    expect(d).toEqual([{ code: 'InvalidValue', path: 'spec.rollout.slo', message: 'Slo/avail measures Service/other, not Service/s' }]);
    expect(validateRollout(service({ strategy: 'canary', steps: [10], slo: 'avail' }), [sloManifest])).toEqual([]);
    expect(validateRollout(service({ strategy: 'canary', steps: [10], maxErrorRate: 0.1, interval: '0s' }), [])[0]).toMatchObject({ path: 'spec.rollout.interval' });
  });

  it.each([
    [300, '5m'],
    [90, '1m30s'],
    [5400, '1h30m'],
    [86400, '1d'],
    [0, '0s'],
  ])('humanDuration(%i) = %s', (s, want) => {
    expect(humanDuration(s)).toBe(want);
  });
});
