/**
 * Cloud Monitoring v3: the emulator answers like Google where recorded real-API exchanges
 * showed it did not (issue 13, differences 1-3). One table; every case runs through the
 * real `@google-cloud/monitoring` clients. Facts and sources: src/emulator/spec/monitoring.md.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { availabilitySli, DAY, monEnv, NUMBERED, PARENT, PROJECT_NUMBER, type MonEnv } from './monitoring-helpers';

const NOT_FOUND = 5;

interface Case {
  difference: number;
  name: string;
  run(env: MonEnv, id: string): Promise<void>;
}

async function cloudRunService(env: MonEnv, id: string) {
  const [svc] = await env.sm.createService({ parent: PARENT, serviceId: id, service: { cloudRun: { serviceName: id, location: 'europe-north1' } } });
  return svc;
}

async function slo(env: MonEnv, service: string, id: string) {
  const [made] = await env.sm.createServiceLevelObjective({
    parent: service,
    serviceLevelObjectiveId: id,
    serviceLevelObjective: { goal: 0.99, rollingPeriod: { seconds: 28 * DAY }, serviceLevelIndicator: availabilitySli(id) },
  });
  return made;
}

const CASES: Case[] = [
  {
    difference: 1,
    name: 'services: Create, Get and Update by project ID answer names by project number',
    async run(env, id) {
      const svc = await cloudRunService(env, id);
      expect(svc.name).toBe(`${NUMBERED}/services/${id}`);
      const [got] = await env.sm.getService({ name: `${PARENT}/services/${id}` });
      expect(got.name).toBe(`${NUMBERED}/services/${id}`);
      const [byNumber] = await env.sm.getService({ name: `${NUMBERED}/services/${id}` });
      expect(byNumber).toEqual(got);
      const [upd] = await env.sm.updateService({ service: { name: `${PARENT}/services/${id}`, displayName: 'x' }, updateMask: { paths: ['display_name'] } });
      expect(upd.name).toBe(`${NUMBERED}/services/${id}`);
      const [listed] = await env.sm.listServices({ parent: PARENT, filter: `cloud_run.service_name = "${id}"` });
      expect(listed.map((s) => s.name)).toEqual([`${NUMBERED}/services/${id}`]);
    },
  },
  {
    difference: 1,
    name: 'SLOs: Create, Get and Update by project ID answer names by project number',
    async run(env, id) {
      await cloudRunService(env, id);
      const made = await slo(env, `${PARENT}/services/${id}`, 'avail');
      const want = `${NUMBERED}/services/${id}/serviceLevelObjectives/avail`;
      expect(made.name).toBe(want);
      const [got] = await env.sm.getServiceLevelObjective({ name: `${PARENT}/services/${id}/serviceLevelObjectives/avail` });
      expect(got.name).toBe(want);
      const [upd] = await env.sm.updateServiceLevelObjective({
        serviceLevelObjective: { name: `${PARENT}/services/${id}/serviceLevelObjectives/avail`, goal: 0.95 },
        updateMask: { paths: ['goal'] },
      });
      expect(upd.name).toBe(want);
      await env.sm.deleteServiceLevelObjective({ name: want });
    },
  },
  {
    difference: 1,
    name: 'alert policies and notification channels keep the project form the request used',
    async run(env, id) {
      await cloudRunService(env, id);
      const made = await slo(env, `${PARENT}/services/${id}`, 'avail');
      const [ch] = await env.channels.createNotificationChannel({ name: PARENT, notificationChannel: { type: 'email', labels: { email_address: `${id}@example.com` } } });
      expect(ch.name).toMatch(new RegExp(`^${PARENT}/notificationChannels/\\d+$`));
      const [policy] = await env.alerts.createAlertPolicy({
        name: PARENT,
        alertPolicy: {
          displayName: id,
          conditions: [{ displayName: 'c', conditionThreshold: { filter: `select_slo_burn_rate("${PARENT}/services/${id}/serviceLevelObjectives/avail", "3600s")`, comparison: 'COMPARISON_GT', thresholdValue: 10 } }],
          notificationChannels: [ch.name!],
        },
      });
      expect(policy.name).toMatch(new RegExp(`^${PARENT}/alertPolicies/\\d+$`));
      expect(policy.conditions?.[0].conditionThreshold?.filter).toContain(`"${PARENT}/services/${id}/`);
      expect(made.name).toContain(NUMBERED);
    },
  },
  {
    difference: 2,
    name: 'UpdateService accepts telemetry.resource_name in the update mask and updates it',
    async run(env, id) {
      await cloudRunService(env, id);
      const resourceName = `//run.googleapis.com/projects/mon-proj/locations/europe-west1/services/${id}`;
      const [upd] = await env.sm.updateService({
        service: { name: `${PARENT}/services/${id}`, telemetry: { resourceName } },
        updateMask: { paths: ['telemetry.resource_name'] },
      });
      expect(upd.telemetry?.resourceName).toBe(resourceName);
      const [got] = await env.sm.getService({ name: `${PARENT}/services/${id}` });
      expect(got.telemetry?.resourceName).toBe(resourceName);
    },
  },
  {
    difference: 3,
    name: 'NOT_FOUND texts of a missing service and SLO are Monitoring\'s own',
    async run(env, id) {
      const missingService = await env.sm.getService({ name: `${PARENT}/services/${id}` }).catch((e) => e);
      expect({ code: missingService.code, details: missingService.details }).toEqual({
        code: NOT_FOUND,
        details: `There is no service with id '${id}' in project '${PROJECT_NUMBER}'`,
      });
      await cloudRunService(env, id);
      const missingSlo = await env.sm.getServiceLevelObjective({ name: `${PARENT}/services/${id}/serviceLevelObjectives/nope` }).catch((e) => e);
      expect({ code: missingSlo.code, details: missingSlo.details }).toEqual({
        code: NOT_FOUND,
        details: `There is no slo with id "nope" under service "${id}" in project "${PARENT.split('/')[1]}"`,
      });
    },
  },
];

describe('Cloud Monitoring answers like Google (one table, real clients)', () => {
  let env: MonEnv;
  let n = 0;
  beforeAll(async () => {
    env = await monEnv();
  });
  afterAll(async () => env?.close());

  it.each(CASES.map((c) => [`difference ${c.difference}: ${c.name}`, c] as const))('%s', async (_label, c) => {
    await c.run(env, `fid-${++n}`);
  });
});
