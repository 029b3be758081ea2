/**
 * Monitoring and Binary Authorization state survives an emulator restart with a state
 * directory (the CLI's embedded emulator restarts with every command), while the
 * in-memory metric store starts empty.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { recordTimeSeries } from '../../src/emulator/modules/monitoring';
import { startEmulator } from '../../src/emulator/server';
import { Clients } from '../../src/gcp/clients';
import { availabilitySli, DAY, NUMBERED, PARENT, PROJECT } from './monitoring-helpers';

describe('monitoring + binauthz: persistence', () => {
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'runctl-mon-state-'));
  afterAll(() => fs.rmSync(stateDir, { recursive: true, force: true }));

  const recentRequests = () => ({
    name: PARENT,
    filter: 'metric.type = "run.googleapis.com/request_count"',
    interval: { startTime: { seconds: Math.floor(Date.now() / 1000) - 3600 }, endTime: { seconds: Math.floor(Date.now() / 1000) + 60 } },
  });

  async function session<T>(fn: (c: Clients) => Promise<T>, core?: (emu: Awaited<ReturnType<typeof startEmulator>>) => void): Promise<T> {
    const emu = await startEmulator({ port: 0, stateDir });
    core?.(emu);
    const clients = new Clients({ mode: 'emulator', grpc: emu.grpc, http: emu.http });
    try {
      return await fn(clients);
    } finally {
      await clients.close();
      await emu.stop();
    }
  }

  it('keeps services, SLOs, policies and the BinAuthz policy etag across restarts', async () => {
    const first = await session(
      async (c) => {
        const sm = c.monitoring('ServiceMonitoringServiceClient');
        const [svc] = await sm.createService({ parent: PARENT, serviceId: 'jokes', service: { cloudRun: { serviceName: 'jokes', location: 'europe-north1' } } });
        const [slo] = await sm.createServiceLevelObjective({ parent: svc.name, serviceLevelObjectiveId: 'avail', serviceLevelObjective: { goal: 0.99, rollingPeriod: { seconds: DAY }, serviceLevelIndicator: availabilitySli('jokes') } });
        const [policy] = await c.monitoring('AlertPolicyServiceClient').createAlertPolicy({
          name: PARENT,
          alertPolicy: { displayName: 'burn', conditions: [{ displayName: 'c', conditionThreshold: { filter: `select_slo_burn_rate("${slo.name}", "300s")`, comparison: 'COMPARISON_GT', thresholdValue: 10 } }] },
        });
        const binauthz = await c.rest('https://binaryauthorization.googleapis.com', { method: 'GET', path: `/v1/projects/${PROJECT}/policy` });
        const [series] = await c.monitoring('MetricServiceClient').listTimeSeries(recentRequests());
        expect(series).toHaveLength(1);
        return { policy, etag: binauthz.etag as string };
      },
      (emu) => recordTimeSeries(emu.core, { project: PROJECT, metric: { type: 'run.googleapis.com/request_count' }, resource: { type: 'cloud_run_revision' }, points: [{ endTime: Date.now(), value: 1 }] }),
    );

    await session(async (c) => {
      const [policy] = await c.monitoring('AlertPolicyServiceClient').getAlertPolicy({ name: first.policy.name });
      expect(policy).toEqual(first.policy);
      const [slos] = await c.monitoring('ServiceMonitoringServiceClient').listServiceLevelObjectives({ parent: `${PARENT}/services/jokes` });
      expect(slos.map((s) => s.name)).toEqual([`${NUMBERED}/services/jokes/serviceLevelObjectives/avail`]);
      const binauthz = await c.rest('https://binaryauthorization.googleapis.com', { method: 'GET', path: `/v1/projects/${PROJECT}/policy` });
      expect(binauthz.etag).toBe(first.etag);
      const [series] = await c.monitoring('MetricServiceClient').listTimeSeries(recentRequests());
      expect(series).toEqual([]);
    });
  });
});
