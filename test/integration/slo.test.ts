/**
 * The Slo kind end to end: the monitored service, SLO, email channel and burn-rate
 * alert policy read back through @google-cloud/monitoring; drift on the goal and on a
 * deleted alert policy; shared channels; delete.
 */
import * as path from 'node:path';
import YAML from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serviceYaml, startHarness, TRANSPORTS, type Harness } from '../helpers/harness';

const P = 'projects/local-project';
const sloYaml = (name: string, spec: Record<string, unknown>) => YAML.stringify({ apiVersion: 'runctl.dev/v1alpha1', kind: 'Slo', metadata: { name, labels: { team: 'fun' } }, spec });
const AVAIL = { service: 'jokes', availability: { goal: 0.99, window: '1d' }, alerts: [{ burnRate: 10, lookback: '5m', notify: ['email:oncall@example.com'] }] };

describe.each(TRANSPORTS)('Slo end to end (%s)', (transport) => {
  let h: Harness;
  const sm = () => h.clients.monitoring('ServiceMonitoringServiceClient');
  const ap = () => h.clients.monitoring('AlertPolicyServiceClient');
  const nc = () => h.clients.monitoring('NotificationChannelServiceClient');
  const list = async <T>(it: AsyncIterable<T>) => {
    const out: T[] = [];
    for await (const x of it) out.push(x);
    return out;
  };
  const policies = () => list(ap().listAlertPoliciesAsync({ name: P }, { autoPaginate: false } as any)) as Promise<any[]>;
  const channels = () => list(nc().listNotificationChannelsAsync({ name: P }, { autoPaginate: false } as any)) as Promise<any[]>;
  const MON = `${P}/services/run-jokes-europe-north1`;
  const SLO = `${MON}/serviceLevelObjectives/jokes-availability`;

  beforeAll(async () => {
    h = await startHarness({ transport });
    h.write('slo/jokes.yaml', serviceYaml('jokes'));
  });
  afterAll(async () => h?.close());

  it('creates the monitored service, SLO, channel and burn-rate alert; a second apply writes nothing', async () => {
    h.write('slo/slo.yaml', sloYaml('jokes-availability', AVAIL));
    const dir = path.join(h.dir, 'slo');
    const plan = await h.cli(['plan', '-f', dir]);
    expect(plan.stdout).toContain('+ monitoredService run-jokes-europe-north1');
    expect(plan.stdout).toContain('+ alertPolicy #0');
    const res = await h.cli(['apply', '-f', dir]);
    expect(res.stderr).not.toMatch(/error/i);
    expect(res.code).toBe(0);

    const [svc] = await sm().getService({ name: MON });
    expect(svc.cloudRun).toMatchObject({ serviceName: 'jokes', location: 'europe-north1' });
    const [slo] = await sm().getServiceLevelObjective({ name: SLO });
    expect(slo.goal).toBe(0.99);
    expect(Number(slo.rollingPeriod!.seconds)).toBe(86400);
    const ratio = slo.serviceLevelIndicator!.requestBased!.goodTotalRatio!;
    expect(ratio.goodServiceFilter).toContain('metric.type="run.googleapis.com/request_count"');
    expect(ratio.goodServiceFilter).toContain('metric.labels.response_code_class="2xx"');
    expect(ratio.badServiceFilter).toContain('metric.labels.response_code_class="5xx"');
    expect(slo.userLabels).toMatchObject({ team: 'fun', 'managed-by': 'runctl', 'runctl-set': 'default' });

    const chans = await channels();
    expect(chans).toHaveLength(1);
    expect(chans[0]).toMatchObject({ type: 'email', labels: { email_address: 'oncall@example.com' }, userLabels: { 'managed-by': 'runctl', 'runctl-set': 'default' } });
    const pols = await policies();
    expect(pols).toHaveLength(1);
    const cond = pols[0].conditions[0].conditionThreshold;
    // Google names the SLO by project number (issue 13, difference 1); the alert names it as the API did.
    expect(slo.name).toBe(SLO.replace(P, 'projects/123456789012'));
    expect(cond.filter).toBe(`select_slo_burn_rate("${slo.name}", "300s")`);
    expect(cond).toMatchObject({ comparison: 'COMPARISON_GT', thresholdValue: 10 });
    expect(Number(cond.duration.seconds)).toBe(0);
    expect(pols[0].notificationChannels).toEqual([chans[0].name]);
    expect(pols[0].userLabels).toMatchObject({ 'runctl-slo': 'jokes-availability', 'runctl-alert': '0' });

    await h.resetStats();
    const again = await h.cli(['apply', '-f', dir]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('No changes');
    const stats = await h.stats();
    expect(stats.writes).toBe(0);
    // One list call per collection, not one get per object.
    expect(stats.calls['AlertPolicyService.ListAlertPolicies']).toBe(1);
    expect(stats.calls['NotificationChannelService.ListNotificationChannels']).toBe(1);
    const got = await h.cli(['get', 'slo', 'jokes-availability', '-o', 'json']);
    expect(JSON.parse(got.stdout).status).toMatchObject({ name: slo.name, alertPolicies: [pols[0].name] });
  });

  it('shows a changed goal as drift and puts it back', async () => {
    const dir = path.join(h.dir, 'slo');
    const [slo] = await sm().getServiceLevelObjective({ name: SLO });
    await sm().updateServiceLevelObjective({ serviceLevelObjective: { ...slo, goal: 0.9 }, updateMask: { paths: ['goal'] } });
    const diff = await h.cli(['diff', '-f', dir]);
    expect(diff.code).toBe(2);
    expect(diff.stdout).toContain('~ spec.availability.goal: 0.9 → 0.99');
    expect(diff.stdout).toContain('~ serviceLevelObjective jokes-availability (update)');
    expect((await h.cli(['apply', '-f', dir])).code).toBe(0);
    expect((await sm().getServiceLevelObjective({ name: SLO }))[0].goal).toBe(0.99);
    expect((await h.cli(['diff', '-f', dir])).code).toBe(0);
  });

  it('re-creates a deleted alert policy', async () => {
    const dir = path.join(h.dir, 'slo');
    const [pol] = await policies();
    await ap().deleteAlertPolicy({ name: pol.name });
    const diff = await h.cli(['diff', '-f', dir]);
    expect(diff.code).toBe(2);
    expect(diff.stdout).toContain('+ spec.alerts.0');
    expect(diff.stdout).toContain('+ alertPolicy #0');
    expect((await h.cli(['apply', '-f', dir])).code).toBe(0);
    const pols = await policies();
    expect(pols).toHaveLength(1);
    expect(pols[0].name).not.toBe(pol.name);
    expect((await h.cli(['diff', '-f', dir])).code).toBe(0);
  });

  it('retries Monitoring\'s "Too many concurrent edits" answers', async () => {
    const dir = path.join(h.dir, 'slo');
    const [pol] = await policies();
    await ap().deleteAlertPolicy({ name: pol.name });
    const fault = { method: 'AlertPolicyService.CreateAlertPolicy', code: 'ABORTED', times: 2, message: 'Too many concurrent edits to the project configuration. Please try again.' };
    await fetch(`http://${h.emu.http}/__emulator/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(fault) });
    await h.resetStats();
    expect((await h.cli(['apply', '-f', dir])).code).toBe(0);
    expect((await h.stats()).calls['AlertPolicyService.CreateAlertPolicy']).toBe(3);
    expect(await policies()).toHaveLength(1);
  });

  it('shares one channel per address between SLOs applied in parallel, and updates alerts in place', async () => {
    const dir = path.join(h.dir, 'slo');
    const alerts = [{ burnRate: 10, lookback: '5m', notify: ['email:oncall@example.com'] }, { burnRate: 2, lookback: '1h', notify: ['email:oncall@example.com', 'email:lead@example.com'] }];
    h.write('slo/slo.yaml', sloYaml('jokes-availability', { ...AVAIL, alerts }));
    h.write('slo/latency.yaml', sloYaml('jokes-latency', { service: 'jokes', latency: { threshold: '500ms', goal: 0.95, window: '7d' }, alerts }));
    const before = (await policies())[0];
    expect((await h.cli(['apply', '-f', dir, '--parallelism', '8'])).code).toBe(0);
    const chans = await channels();
    expect(chans.map((c) => c.labels.email_address).sort()).toEqual(['lead@example.com', 'oncall@example.com']);
    const pols = await policies();
    expect(pols).toHaveLength(4);
    expect(pols.map((p) => p.name)).toContain(before.name);
    const [lat] = await sm().getServiceLevelObjective({ name: `${MON}/serviceLevelObjectives/jokes-latency` });
    expect(lat.serviceLevelIndicator!.requestBased!.distributionCut).toMatchObject({ range: { max: 500 } });
    expect((await h.cli(['diff', '-f', dir])).code).toBe(0);
  });

  it('delete removes the SLOs, their policies, the channels and the monitored service', async () => {
    const dir = path.join(h.dir, 'slo');
    const res = await h.cli(['delete', '-f', dir, '--yes']);
    expect(res.code).toBe(0);
    // Dependents first: the SLOs go before the Service they measure.
    expect(res.stderr.indexOf('Slo/jokes-availability: deleting')).toBeLessThan(res.stderr.indexOf('Service/jokes: deleting'));
    expect(await policies()).toEqual([]);
    expect(await channels()).toEqual([]);
    await expect(sm().getService({ name: MON })).rejects.toMatchObject({ code: 5 });
  });
});
