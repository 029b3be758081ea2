/**
 * Conformance: Cloud Monitoring services and SLOs through the official
 * ServiceMonitoringServiceClient — server-assigned IDs, Cloud Run basic services,
 * update masks, list paging and filters, and the API's SLO validation.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { availabilitySli, codeOf, DAY, monEnv, NUMBERED, PARENT, type MonEnv } from './monitoring-helpers';

const INVALID_ARGUMENT = 3;
const NOT_FOUND = 5;
const ALREADY_EXISTS = 6;

describe('monitoring: services', () => {
  let env: MonEnv;
  beforeAll(async () => {
    env = await monEnv();
  });
  afterAll(async () => env?.close());

  it('creates a Cloud Run service with basic service and telemetry filled in', async () => {
    const [svc] = await env.sm.createService({
      parent: PARENT,
      serviceId: 'jokes',
      service: { displayName: 'Jokes', cloudRun: { serviceName: 'jokes', location: 'europe-north1' }, userLabels: { 'managed-by': 'runctl' } },
    });
    expect(svc).toMatchObject({
      name: `${NUMBERED}/services/jokes`,
      displayName: 'Jokes',
      cloudRun: { serviceName: 'jokes', location: 'europe-north1' },
      basicService: { serviceType: 'CLOUD_RUN', serviceLabels: { service_name: 'jokes', location: 'europe-north1' } },
      telemetry: { resourceName: `//run.googleapis.com/projects/mon-proj/locations/europe-north1/services/jokes` },
      userLabels: { 'managed-by': 'runctl' },
    });
    const [again] = await env.sm.getService({ name: svc.name });
    expect(again).toEqual(svc);
  });

  it('assigns an ID when service_id is omitted, and rejects duplicates and bad IDs', async () => {
    const [svc] = await env.sm.createService({ parent: PARENT, service: { displayName: 'custom one', custom: {} } });
    expect(svc.name).toMatch(new RegExp(`^${NUMBERED}/services/[A-Za-z0-9_-]+$`));
    expect(svc.custom).toEqual({});
    const dup = env.sm.createService({ parent: PARENT, serviceId: 'jokes', service: { custom: {} } });
    expect(await codeOf(dup)).toBe(ALREADY_EXISTS);
    expect(await codeOf(env.sm.createService({ parent: PARENT, serviceId: 'Bad_ID', service: { custom: {} } }))).toBe(INVALID_ARGUMENT);
    expect(await codeOf(env.sm.createService({ parent: PARENT, serviceId: 'no-identifier', service: { displayName: 'x' } }))).toBe(INVALID_ARGUMENT);
    expect(await codeOf(env.sm.createService({ parent: PARENT, serviceId: 'half-run', service: { cloudRun: { serviceName: 'x' } } }))).toBe(INVALID_ARGUMENT);
    expect(await codeOf(env.sm.getService({ name: `${PARENT}/services/missing` }))).toBe(NOT_FOUND);
  });

  it('updates only the masked fields, and keeps identifiers immutable', async () => {
    const [svc] = await env.sm.createService({ parent: PARENT, serviceId: 'masked', service: { displayName: 'before', custom: {}, userLabels: { team: 'a' } } });
    const [upd] = await env.sm.updateService({ service: { name: svc.name, displayName: 'after', userLabels: { team: 'b' } }, updateMask: { paths: ['display_name'] } });
    expect(upd.displayName).toBe('after');
    expect(upd.userLabels).toEqual({ team: 'a' });
    const [full] = await env.sm.updateService({ service: { name: svc.name, displayName: 'replaced' } });
    expect(full).toMatchObject({ displayName: 'replaced', userLabels: {}, custom: {} });
    const bad = env.sm.updateService({ service: { name: svc.name, cloudRun: { serviceName: 'x', location: 'y' } } });
    expect(await codeOf(bad)).toBe(INVALID_ARGUMENT);
    const badPath = env.sm.updateService({ service: { name: svc.name }, updateMask: { paths: ['basic_service'] } });
    expect(await codeOf(badPath)).toBe(INVALID_ARGUMENT);
  });

  it('lists with paging and filters', async () => {
    for (const id of ['page-a', 'page-b', 'page-c']) {
      await env.sm.createService({ parent: PARENT, serviceId: id, service: { cloudRun: { serviceName: id, location: 'europe-north1' } } });
    }
    const [first, , raw] = await env.sm.listServices({ parent: PARENT, pageSize: 2 }, { autoPaginate: false });
    expect(first).toHaveLength(2);
    expect(raw?.nextPageToken).toBeTruthy();
    const all: string[] = [];
    for await (const s of env.sm.listServicesAsync({ parent: PARENT, pageSize: 2 })) all.push(s.name!);
    const [auto] = await env.sm.listServices({ parent: PARENT });
    expect(all).toEqual(auto.map((s) => s.name));
    expect(all).toContain(`${NUMBERED}/services/page-c`);
    const [runOnly] = await env.sm.listServices({ parent: PARENT, filter: 'identifier_case = "CLOUD_RUN"' });
    expect(runOnly.length).toBeGreaterThanOrEqual(4);
    expect(runOnly.every((s) => s.cloudRun)).toBe(true);
    expect(await codeOf(env.sm.listServices({ parent: PARENT, pageToken: 'garbage' }, { autoPaginate: false }))).toBe(INVALID_ARGUMENT);
    const [byName] = await env.sm.listServices({ parent: PARENT, filter: 'cloud_run.service_name = "page-b"' });
    expect(byName.map((s) => s.name)).toEqual([`${NUMBERED}/services/page-b`]);
  });
});

describe('monitoring: service level objectives', () => {
  let env: MonEnv;
  let svc: string;
  beforeAll(async () => {
    env = await monEnv();
    const [s] = await env.sm.createService({ parent: PARENT, serviceId: 'jokes', service: { cloudRun: { serviceName: 'jokes', location: 'europe-north1' } } });
    svc = s.name!;
  });
  afterAll(async () => env?.close());

  it('creates a request-based availability SLO with and without an ID', async () => {
    const body = { displayName: '99% good', goal: 0.99, rollingPeriod: { seconds: DAY }, serviceLevelIndicator: availabilitySli('jokes') };
    const [named] = await env.sm.createServiceLevelObjective({ parent: svc, serviceLevelObjectiveId: 'jokes-availability', serviceLevelObjective: body });
    expect(named).toMatchObject({ name: `${svc}/serviceLevelObjectives/jokes-availability`, goal: 0.99, rollingPeriod: { seconds: String(DAY) } });
    expect(named.serviceLevelIndicator?.requestBased?.goodTotalRatio?.goodServiceFilter).toContain('2xx');
    const [generated] = await env.sm.createServiceLevelObjective({ parent: svc, serviceLevelObjective: body });
    expect(generated.name).toMatch(new RegExp(`^${svc}/serviceLevelObjectives/[A-Za-z0-9_-]+$`));
    const [got] = await env.sm.getServiceLevelObjective({ name: named.name });
    expect(got).toEqual(named);
    expect(await codeOf(env.sm.createServiceLevelObjective({ parent: svc, serviceLevelObjectiveId: 'jokes-availability', serviceLevelObjective: body }))).toBe(ALREADY_EXISTS);
    expect(await codeOf(env.sm.createServiceLevelObjective({ parent: `${PARENT}/services/nope`, serviceLevelObjective: body }))).toBe(NOT_FOUND);
  });

  it('accepts latency (distribution cut), basic and calendar-period SLOs', async () => {
    const latency = {
      goal: 0.95,
      rollingPeriod: { seconds: 28 * DAY },
      serviceLevelIndicator: {
        requestBased: {
          distributionCut: {
            distributionFilter: 'metric.type="run.googleapis.com/request_latencies" resource.type="cloud_run_revision" resource.labels.service_name="jokes"',
            range: { min: -Infinity, max: 500 },
          },
        },
      },
    };
    const [l] = await env.sm.createServiceLevelObjective({ parent: svc, serviceLevelObjectiveId: 'jokes-latency', serviceLevelObjective: latency });
    expect(l.serviceLevelIndicator?.requestBased?.distributionCut?.range?.max).toBe(500);
    const basic = { goal: 0.999, calendarPeriod: 'MONTH' as const, serviceLevelIndicator: { basicSli: { availability: {} } } };
    const [b] = await env.sm.createServiceLevelObjective({ parent: svc, serviceLevelObjectiveId: 'basic', serviceLevelObjective: basic });
    expect(b.calendarPeriod).toBe('MONTH');
    expect(b.serviceLevelIndicator?.basicSli?.availability).toEqual({});
  });

  const cases: Array<{ reason: string; slo: any }> = [
    { reason: 'goal of 1 is above 0.9999', slo: { goal: 1, rollingPeriod: { seconds: DAY } } },
    { reason: 'goal missing (0)', slo: { rollingPeriod: { seconds: DAY } } },
    { reason: 'rolling period longer than 30 days', slo: { goal: 0.9, rollingPeriod: { seconds: 31 * DAY } } },
    { reason: 'rolling period not whole days', slo: { goal: 0.9, rollingPeriod: { seconds: 1.5 * DAY } } },
    { reason: 'rolling period shorter than a day', slo: { goal: 0.9, rollingPeriod: { seconds: 12 * 3600 } } },
    { reason: 'no period', slo: { goal: 0.9 } },
    { reason: 'unsupported calendar period', slo: { goal: 0.9, calendarPeriod: 'QUARTER' } },
    { reason: 'only one ratio filter', sli: { requestBased: { goodTotalRatio: { goodServiceFilter: 'metric.type="a"' } } } },
    {
      reason: 'three ratio filters',
      sli: { requestBased: { goodTotalRatio: { goodServiceFilter: 'metric.type="a"', badServiceFilter: 'metric.type="b"', totalServiceFilter: 'metric.type="c"' } } },
    },
    { reason: 'filter without a metric type', sli: { requestBased: { goodTotalRatio: { goodServiceFilter: 'resource.type="x"', totalServiceFilter: 'metric.type="c"' } } } },
    { reason: 'unparseable filter', sli: { requestBased: { goodTotalRatio: { goodServiceFilter: 'metric.type = ("', totalServiceFilter: 'metric.type="c"' } } } },
    { reason: 'no SLI', sli: null },
  ].map((c: any) => ({
    reason: c.reason,
    slo: {
      ...(c.slo ?? { goal: 0.99, rollingPeriod: { seconds: 7 * DAY } }),
      ...(c.sli === null ? {} : { serviceLevelIndicator: c.sli ?? availabilitySli('jokes') }),
    },
  }));
  for (const c of cases) {
    it(`rejects an SLO: ${c.reason}`, async () => {
      expect(await codeOf(env.sm.createServiceLevelObjective({ parent: svc, serviceLevelObjective: c.slo }))).toBe(INVALID_ARGUMENT);
    });
  }

  it('rejects a basic SLI on a custom service', async () => {
    const [custom] = await env.sm.createService({ parent: PARENT, serviceId: 'custom', service: { custom: {} } });
    const slo = { goal: 0.9, rollingPeriod: { seconds: DAY }, serviceLevelIndicator: { basicSli: { availability: {} } } };
    expect(await codeOf(env.sm.createServiceLevelObjective({ parent: custom.name, serviceLevelObjective: slo }))).toBe(INVALID_ARGUMENT);
  });

  it('updates with a mask, switching the period oneof, and validates the result', async () => {
    const name = `${svc}/serviceLevelObjectives/jokes-availability`;
    const [goal] = await env.sm.updateServiceLevelObjective({ serviceLevelObjective: { name, goal: 0.995 }, updateMask: { paths: ['goal'] } });
    expect(goal).toMatchObject({ goal: 0.995, displayName: '99% good', rollingPeriod: { seconds: String(DAY) } });
    const [cal] = await env.sm.updateServiceLevelObjective({ serviceLevelObjective: { name, calendarPeriod: 'WEEK' }, updateMask: { paths: ['calendar_period'] } });
    expect(cal.calendarPeriod).toBe('WEEK');
    expect(cal.rollingPeriod ?? null).toBeNull();
    const bad = env.sm.updateServiceLevelObjective({ serviceLevelObjective: { name, goal: 2 }, updateMask: { paths: ['goal'] } });
    expect(await codeOf(bad)).toBe(INVALID_ARGUMENT);
    const [after] = await env.sm.getServiceLevelObjective({ name });
    expect(after.goal).toBe(0.995);
  });

  it('lists SLOs with paging, deletes one, and deleting the service deletes its SLOs', async () => {
    const [page, , raw] = await env.sm.listServiceLevelObjectives({ parent: svc, pageSize: 2 }, { autoPaginate: false });
    expect(page).toHaveLength(2);
    expect(raw?.nextPageToken).toBeTruthy();
    const [all] = await env.sm.listServiceLevelObjectives({ parent: svc });
    expect(all.length).toBe(4);
    await env.sm.deleteServiceLevelObjective({ name: `${svc}/serviceLevelObjectives/basic` });
    expect(await codeOf(env.sm.getServiceLevelObjective({ name: `${svc}/serviceLevelObjectives/basic` }))).toBe(NOT_FOUND);
    await env.sm.deleteService({ name: svc });
    expect(await codeOf(env.sm.getServiceLevelObjective({ name: `${svc}/serviceLevelObjectives/jokes-latency` }))).toBe(NOT_FOUND);
    expect(await codeOf(env.sm.deleteService({ name: svc }))).toBe(NOT_FOUND);
  });

  it('counts calls under the API service names', async () => {
    const stats = await env.stats();
    expect(stats.calls['ServiceMonitoringService.CreateServiceLevelObjective']).toBeGreaterThan(0);
    expect(stats.calls['ServiceMonitoringService.UpdateServiceLevelObjective']).toBeGreaterThan(0);
    expect(stats.calls['ServiceMonitoringService.DeleteService']).toBeGreaterThan(0);
    expect(stats.writes).toBeGreaterThan(0);
    expect(stats.reads).toBeGreaterThan(0);
  });
});
