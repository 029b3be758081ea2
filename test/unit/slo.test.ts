/**
 * Slo, pure parts: the Monitoring objects a Slo stands for (filters as Cloud Run
 * metrics are named), reading them back, and planning with sub-resource lines.
 */
import { describe, expect, it } from 'vitest';
import { liveForm, type LiveSlo } from '../../controllers/slo/live';
import { alertIdentity, alertPolicyBody, channelIdentity, liveSloBody, parseBurnRateFilter, readObjective, sameMonitoringName, sloBody, sloForm, type Target } from '../../controllers/slo/model';
import { planSlo, type DesiredSlo } from '../../controllers/slo/plan';

const T: Target = { project: 'p', service: 'jokes', location: 'europe-north1' };
const OWNER = { 'managed-by': 'runctl', 'runctl-set': 'default' };
const MON = 'projects/p/services/run-jokes-europe-north1';
const SLO = `${MON}/serviceLevelObjectives/jokes-availability`;
const spec = { service: 'jokes', availability: { goal: 0.99, window: '1d' }, alerts: [{ burnRate: 10, lookback: '5m', notify: ['email:oncall@example.com'] }] };

/** Live objects exactly as runctl would have written them for `s`. */
function liveFor(s: Record<string, any>): LiveSlo {
  const form = sloForm(s);
  const body = sloBody(form, T, 'jokes-availability');
  const channel = { name: 'projects/p/notificationChannels/1', type: 'email', labels: { email_address: 'oncall@example.com' }, userLabels: { ...OWNER, ...channelIdentity('default', 'oncall@example.com') } };
  const policies = form.alerts.map((a, i) => ({ ...alertPolicyBody(SLO, 'jokes-availability', i, a, [channel.name], OWNER, 'default'), name: `projects/p/alertPolicies/${i}`, enabled: { value: true } }));
  const monitored = { name: MON, cloudRun: { serviceName: 'jokes', location: 'europe-north1' }, userLabels: OWNER };
  return { target: T, monitored, sloParent: monitored, slo: { ...body, name: SLO, rollingPeriod: { seconds: '86400', nanos: 0 }, userLabels: OWNER }, policies, duplicates: [], channels: [channel] };
}
const desired = (s: Record<string, any>): DesiredSlo => ({ form: sloForm(s), target: T, id: 'jokes-availability', sloId: 'jokes-availability', labels: OWNER, set: 'default' });

describe('Slo: Monitoring objects', () => {
  it('measures availability from run.googleapis.com/request_count: 2xx good, 5xx bad', () => {
    const body = sloBody(sloForm(spec), T, 'jokes-availability');
    const ratio = body.serviceLevelIndicator.requestBased.goodTotalRatio;
    expect(ratio.goodServiceFilter).toBe('metric.type="run.googleapis.com/request_count" resource.type="cloud_run_revision" resource.labels.service_name="jokes" resource.labels.location="europe-north1" metric.labels.response_code_class="2xx"');
    expect(ratio.badServiceFilter).toContain('metric.labels.response_code_class="5xx"');
    expect(body).toMatchObject({ goal: 0.99, rollingPeriod: '86400s', displayName: 'jokes-availability: 99% of requests succeed over 1d' });
  });

  it('measures latency with a distribution cut of request_latencies below the threshold (ms)', () => {
    const body = sloBody(sloForm({ service: 'jokes', latency: { threshold: '500ms', goal: 0.95, window: '28d' } }), T, 'fast');
    expect(body.serviceLevelIndicator.requestBased.distributionCut).toEqual({
      distributionFilter: 'metric.type="run.googleapis.com/request_latencies" resource.type="cloud_run_revision" resource.labels.service_name="jokes" resource.labels.location="europe-north1"',
      range: { min: 0, max: 500 },
    });
    expect(readObjective({ ...body, rollingPeriod: { seconds: '2419200' } })).toEqual({ latency: { threshold: '0.5s', goal: 0.95, window: '28d' } });
  });

  it('alerts on select_slo_burn_rate over the lookback, above the burn rate, at once', () => {
    const p = alertPolicyBody(SLO, 'jokes-availability', 0, sloForm(spec).alerts[0], ['c1'], OWNER, 'default');
    expect(p.conditions[0].conditionThreshold).toEqual({ filter: `select_slo_burn_rate("${SLO}", "300s")`, comparison: 'COMPARISON_GT', thresholdValue: 10, duration: { seconds: 0, nanos: 0 } });
    expect(p.userLabels).toEqual({ ...OWNER, ...alertIdentity('default', 'jokes-availability', 0), 'runctl-slo': 'jokes-availability', 'runctl-alert': '0' });
    expect(parseBurnRateFilter(p.conditions[0].conditionThreshold.filter)).toEqual({ slo: SLO, lookback: '300s' });
  });

  it('reads live objects back to the manifest form', () => {
    expect(liveForm(liveFor(spec), 'jokes-availability')).toEqual(sloForm(spec));
    expect(liveSloBody(liveFor(spec).slo!)).toEqual(sloBody(sloForm(spec), T, 'jokes-availability'));
  });
});

describe('Slo: plan', () => {
  const cases: Array<{ reason: string; live: () => LiveSlo; want?: Record<string, any>; action: string; paths: string[]; children: Array<[string, string]> }> = [
    {
      reason: 'nothing live: everything is created, shared objects included',
      live: () => ({ target: T, policies: [], duplicates: [], channels: [] }),
      action: 'create',
      paths: ['spec.alerts', 'spec.availability', 'spec.service'],
      children: [['monitoredService', 'create'], ['serviceLevelObjective', 'create'], ['notificationChannel', 'create'], ['alertPolicy', 'create']],
    },
    { reason: 'as written: no-op', live: () => liveFor(spec), action: 'noop', paths: [], children: [] },
    {
      reason: 'a goal changed out of band is drift on the SLO',
      live: () => {
        const l = liveFor(spec);
        l.slo!.goal = 0.9;
        return l;
      },
      action: 'update',
      paths: ['spec.availability.goal'],
      children: [['serviceLevelObjective', 'update']],
    },
    {
      reason: 'a deleted alert policy is re-created',
      live: () => ({ ...liveFor(spec), policies: [] }),
      action: 'update',
      paths: ['spec.alerts.0'],
      children: [['alertPolicy', 'create']],
    },
    {
      reason: 'an alert dropped from the manifest deletes its policy',
      live: () => liveFor({ ...spec, alerts: [...spec.alerts, { burnRate: 2, lookback: '1h' }] }),
      action: 'update',
      paths: ['spec.alerts.1'],
      children: [['alertPolicy', 'delete']],
    },
    {
      reason: 'a new address needs a channel and changes the policy',
      live: () => liveFor(spec),
      want: { ...spec, alerts: [{ ...spec.alerts[0], notify: ['email:oncall@example.com', 'email:lead@example.com'] }] },
      action: 'update',
      paths: ['spec.alerts.0.notify.0', 'spec.alerts.0.notify.1'],
      children: [['notificationChannel', 'create'], ['alertPolicy', 'update']],
    },
    {
      reason: 'an edited SLI filter is drift even though the manifest form matches',
      live: () => {
        const l = liveFor(spec);
        l.slo!.serviceLevelIndicator.requestBased.goodTotalRatio.goodServiceFilter += ' metric.labels.response_code="200"';
        return l;
      },
      action: 'update',
      paths: [],
      children: [['serviceLevelObjective', 'update']],
    },
    {
      reason: 'switching to latency replaces the objective kind',
      live: () => liveFor(spec),
      want: { service: 'jokes', latency: { threshold: '500ms', goal: 0.95, window: '1d' }, alerts: spec.alerts },
      action: 'update',
      paths: ['spec.availability', 'spec.latency'],
      children: [['serviceLevelObjective', 'update']],
    },
  ];
  it.each(cases)('$reason', ({ live, want, action, paths, children }) => {
    const l = live();
    const plan = planSlo(desired(want ?? spec), l, liveForm(l, 'jokes-availability'));
    expect(plan.action).toBe(action);
    expect(plan.changes.map((c) => c.path).sort()).toEqual(paths);
    expect((plan.children ?? []).map((c) => [c.name.split(' ')[0], c.action])).toEqual(children);
  });

  it('re-creates the SLO under the new service when `service` changes', () => {
    const l = liveFor(spec);
    l.monitored = undefined;
    const plan = planSlo({ ...desired({ ...spec, service: 'jokes2' }), target: { ...T, service: 'jokes2' } }, l, liveForm(l, 'jokes-availability'));
    expect(plan.action).toBe('replace');
    expect(plan.changes.map((c) => c.path)).toEqual(['spec.service']);
    expect(plan.children!.map((c) => c.action)).toEqual(['create', 'replace', 'update']);
  });

  it('plans nothing when Google names the service and SLO by project number and the alert by project ID', () => {
    const l = liveFor(spec);
    const byNumber = (name: string) => name.replace('projects/p/', 'projects/123456789012/');
    l.monitored = { ...l.monitored!, name: byNumber(MON) };
    l.sloParent = l.monitored;
    l.slo = { ...l.slo!, name: byNumber(SLO) };
    const plan = planSlo(desired(spec), l, liveForm(l, 'jokes-availability'));
    expect(plan.action).toBe('noop');
    expect(plan.children ?? []).toEqual([]);
  });

  it('compares Monitoring names modulo project ID and number', () => {
    expect(sameMonitoringName(SLO, SLO.replace('projects/p/', 'projects/123456789012/'))).toBe(true);
    expect(sameMonitoringName(MON, 'projects/other/services/run-jokes-europe-north1')).toBe(false);
    expect(sameMonitoringName(MON, 'projects/123456789012/services/other')).toBe(false);
  });
});


describe('Monitoring write lock', () => {
  it('runs holders of one project one at a time, in call order, and releases on failure', async () => {
    const { withLock } = await import('../../controllers/slo/project-lock');
    const events: string[] = [];
    let inside = 0;
    const task = (name: string, fail = false) =>
      withLock('monitoring-config:p', async () => {
        inside++;
        expect(inside).toBe(1);
        events.push(`start ${name}`);
        await new Promise((r) => setTimeout(r, 5));
        events.push(`end ${name}`);
        inside--;
        if (fail) throw new Error(name);
      });
    const other = withLock('monitoring-config:q', async () => events.push('other project'));
    const results = await Promise.allSettled([task('a'), task('b', true), task('c')]);
    await other;
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(events.filter((e) => e !== 'other project')).toEqual(['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
    // Another project's lock does not wait for this one.
    expect(events.indexOf('other project')).toBeLessThan(events.indexOf('end a'));
  });
});

describe('Slo: parts made outside runctl', () => {
  it('compares filters by their terms: order, AND, blanks around = and label/labels spellings do not matter', async () => {
    const { canonicalFilter } = await import('../../controllers/slo/model');
    const ours = 'metric.type="run.googleapis.com/request_count" resource.type="cloud_run_revision" resource.labels.service_name="jokes"';
    expect(canonicalFilter('resource.label.service_name = "jokes" AND resource.type="cloud_run_revision" AND metric.type="run.googleapis.com/request_count"')).toBe(canonicalFilter(ours));
    expect(canonicalFilter(`${ours} metric.labels.response_code_class="2xx"`)).not.toBe(canonicalFilter(ours));
    // OR, NOT and parentheses change the meaning of juxtaposition: compared as written.
    expect(canonicalFilter(`${ours} OR metric.labels.x="y"`)).toBe(`${ours} OR metric.labels.x="y"`);
  });

  it('names an SLO by its ID when that is a valid name, else by a stable name derived from the ID alone', async () => {
    const { sloNameOf } = await import('../../controllers/slo/inventory');
    expect(sloNameOf('search-latency')).toBe('search-latency');
    const derived = sloNameOf('3ePC5fOJ_SWyYUzvkabDvzQ');
    expect(derived).toMatch(/^slo-3epc5foj-swyyuzvkabdvzq-[0-9a-f]{8}$/);
    expect(sloNameOf('3ePC5fOJ_SWyYUzvkabDvzQ')).toBe(derived);
    expect(sloNameOf('3epc5foj-SWyYUzvkabDvzQ')).not.toBe(derived);
  });

  it('reads a calendar period back as calendar-PERIOD and writes it as calendarPeriod', () => {
    const form = sloForm({ ...spec, availability: { goal: 0.995, window: 'calendar-month' } });
    const body = sloBody(form, T, 'jokes-availability');
    expect(body).toMatchObject({ calendarPeriod: 'MONTH', displayName: 'jokes-availability: 99.5% of requests succeed each calendar month' });
    expect(body.rollingPeriod).toBeUndefined();
    expect(readObjective({ ...body })).toEqual({ availability: { goal: 0.995, window: 'calendar-month' } });
  });

  it('adopting: the policies on the SLO and the email channel they notify change labels only; other channels are kept, not compared', () => {
    const l = liveFor(spec);
    const foreign = { 'team': 'web' };
    l.slo!.userLabels = foreign;
    l.channels = [
      { ...l.channels[0], userLabels: {} },
      { name: 'projects/p/notificationChannels/9', type: 'slack', labels: { channel_name: '#ops' } },
    ];
    l.policies = l.policies.map((p) => ({ ...p, displayName: 'Fast burn', userLabels: {}, notificationChannels: [...p.notificationChannels, 'projects/p/notificationChannels/9'] }));
    l.monitored = { ...l.monitored!, userLabels: {} };
    l.sloParent = l.monitored;
    Object.assign(l, { adopting: true, adoptableChannels: new Set(['projects/p/notificationChannels/1', 'projects/p/notificationChannels/9']) });
    const want = { ...spec, alerts: [{ ...spec.alerts[0], displayName: 'Fast burn' }] };
    const form = liveForm(l, 'jokes-availability')!;
    expect(form.alerts).toEqual([{ burnRate: 10, lookback: '300s', notify: ['email:oncall@example.com'], displayName: 'Fast burn' }]);
    const plan = planSlo({ ...desired(want), labels: { ...foreign, ...OWNER } }, l, form);
    expect(plan.changes).toEqual([]);
    expect(plan.children!.map((c) => [c.name.split(' ')[0], c.action])).toEqual([['monitoredService', 'update'], ['serviceLevelObjective', 'update'], ['notificationChannel', 'update'], ['alertPolicy', 'update']]);
    for (const c of plan.children!) expect((c.changes ?? []).every((x) => x.path.includes('userLabels')), c.name).toBe(true);
    // Planned with the manifest's own labels (the engine's "does it already match?"): nothing.
    expect(planSlo({ ...desired(want), labels: foreign }, l, form).action).toBe('noop');
  });
});

describe('Slo: display names', () => {
  it('an SLO made without a display name is not given runctl\'s default one', () => {
    const l = liveFor(spec);
    l.slo!.displayName = '';
    expect(planSlo(desired(spec), l, liveForm(l, 'jokes-availability')).action).toBe('noop');
    const named = planSlo(desired({ ...spec, displayName: 'Jokes' }), l, liveForm(l, 'jokes-availability'));
    expect(named.children!.map((c) => c.name.split(' ')[0])).toEqual(['serviceLevelObjective']);
  });

  it("display names written out as runctl's defaults mean the same as left out", async () => {
    const { withoutDefaultNames } = await import('../../controllers/slo/model');
    const form = sloForm({ ...spec, displayName: 'jokes-availability: 99% of requests succeed over 1d', alerts: [{ ...spec.alerts[0], displayName: 'jokes-availability: error budget burn rate above 10x over 300s' }] });
    expect(withoutDefaultNames(form, 'jokes-availability')).toEqual(sloForm(spec));
    const own = sloForm({ ...spec, displayName: 'Jokes' });
    expect(withoutDefaultNames(own, 'jokes-availability')).toEqual(own);
  });
});

describe('Slo: basic SLIs (the console\'s for Cloud Run)', () => {
  it('availability and latency with basic: true are basicSli, read back as written', () => {
    const avail = sloForm({ ...spec, availability: { goal: 0.99, window: '28d', basic: true } });
    const a = sloBody(avail, T, 'x');
    expect(a.serviceLevelIndicator).toEqual({ basicSli: { availability: {} } });
    expect(readObjective({ ...a, rollingPeriod: { seconds: '2419200' } })).toEqual({ availability: { goal: 0.99, window: '28d', basic: true } });
    const lat = sloForm({ service: 'jokes', latency: { threshold: '500ms', goal: 0.95, window: '7d', basic: true } });
    const l = sloBody(lat, T, 'x');
    expect(l.serviceLevelIndicator).toEqual({ basicSli: { latency: { threshold: '0.5s' } } });
    // As the API answers: the threshold as a Duration, empty method/location/version lists.
    const live = { ...l, rollingPeriod: { seconds: '604800' }, serviceLevelIndicator: { basicSli: { method: [], location: [], version: [], latency: { threshold: { seconds: '0', nanos: 500000000 } } } } };
    expect(readObjective(live)).toEqual({ latency: { threshold: '0.5s', goal: 0.95, window: '7d', basic: true } });
    // A basic SLI narrowed to some locations is more than the form says: not read as one.
    expect(readObjective({ ...live, serviceLevelIndicator: { basicSli: { location: ['us-east1'], availability: {} } } }).availability?.basic).toBeUndefined();
  });
});
