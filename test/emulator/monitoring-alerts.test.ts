/**
 * Conformance: alert policies and notification channels through the official
 * AlertPolicyServiceClient and NotificationChannelServiceClient — server-assigned
 * numeric IDs, mutation records, SLO burn-rate conditions, update masks, filters,
 * paging, and channel deletion while in use.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { availabilitySli, codeOf, DAY, monEnv, PARENT, type MonEnv } from './monitoring-helpers';

const INVALID_ARGUMENT = 3;
const NOT_FOUND = 5;
const FAILED_PRECONDITION = 9;

describe('monitoring: notification channels', () => {
  let env: MonEnv;
  beforeAll(async () => {
    env = await monEnv();
  });
  afterAll(async () => env?.close());

  it('serves the email descriptor', async () => {
    const [descs] = await env.channels.listNotificationChannelDescriptors({ name: PARENT });
    const email = descs.find((d) => d.type === 'email');
    expect(email).toMatchObject({ name: `${PARENT}/notificationChannelDescriptors/email`, labels: [{ key: 'email_address' }] });
    const [got] = await env.channels.getNotificationChannelDescriptor({ name: `${PARENT}/notificationChannelDescriptors/email` });
    expect(got).toEqual(email);
    expect(await codeOf(env.channels.getNotificationChannelDescriptor({ name: `${PARENT}/notificationChannelDescriptors/carrier-pigeon` }))).toBe(NOT_FOUND);
  });

  it('creates an email channel with a server-assigned numeric ID', async () => {
    const [ch] = await env.channels.createNotificationChannel({
      name: PARENT,
      notificationChannel: { type: 'email', displayName: 'oncall', labels: { email_address: 'oncall@example.com' }, userLabels: { 'managed-by': 'runctl' } },
    });
    expect(ch.name).toMatch(new RegExp(`^${PARENT}/notificationChannels/\\d+$`));
    expect(ch).toMatchObject({ type: 'email', enabled: { value: true }, verificationStatus: 'UNVERIFIED', labels: { email_address: 'oncall@example.com' } });
    expect(ch.creationRecord?.mutateTime?.seconds).toBeTruthy();
    expect(ch.mutationRecords).toHaveLength(1);
    const [got] = await env.channels.getNotificationChannel({ name: ch.name });
    expect(got).toEqual(ch);
  });

  it('validates type and labels', async () => {
    const create = (notificationChannel: any) => env.channels.createNotificationChannel({ name: PARENT, notificationChannel });
    expect(await codeOf(create({ type: 'email', labels: {} }))).toBe(INVALID_ARGUMENT);
    expect(await codeOf(create({ type: 'email', labels: { email_address: 'not-an-address' } }))).toBe(INVALID_ARGUMENT);
    expect(await codeOf(create({ type: 'email', labels: { email_address: 'a@b.c', colour: 'red' } }))).toBe(INVALID_ARGUMENT);
    expect(await codeOf(create({ type: 'carrier-pigeon', labels: {} }))).toBe(INVALID_ARGUMENT);
    expect(await codeOf(env.channels.createNotificationChannel({ name: 'nonsense', notificationChannel: { type: 'email' } }))).toBe(INVALID_ARGUMENT);
  });

  it('updates with a mask and appends a mutation record; lists with a filter', async () => {
    const [ch] = await env.channels.createNotificationChannel({ name: PARENT, notificationChannel: { type: 'email', displayName: 'team', labels: { email_address: 'team@example.com' } } });
    const [upd] = await env.channels.updateNotificationChannel({
      notificationChannel: { name: ch.name, displayName: 'team (renamed)', labels: { email_address: 'ignored@example.com' } },
      updateMask: { paths: ['display_name'] },
    });
    expect(upd.displayName).toBe('team (renamed)');
    expect(upd.labels).toEqual({ email_address: 'team@example.com' });
    expect(upd.mutationRecords).toHaveLength(2);
    const [listed] = await env.channels.listNotificationChannels({ name: PARENT, filter: 'display_name = "team (renamed)"' });
    expect(listed.map((c) => c.name)).toEqual([ch.name]);
    const [emails] = await env.channels.listNotificationChannels({ name: PARENT, filter: 'type = "email" AND labels.email_address : "example.com"' });
    expect(emails.length).toBe(2);
  });
});

describe('monitoring: alert policies', () => {
  let env: MonEnv;
  let slo: string;
  let channel: string;
  const burnRate = (name: string, lookback = '3600s') => ({
    displayName: 'burn rate > 10',
    conditionThreshold: { filter: `select_slo_burn_rate("${name}", "${lookback}")`, comparison: 'COMPARISON_GT' as const, thresholdValue: 10, duration: { seconds: 0 } },
  });

  beforeAll(async () => {
    env = await monEnv();
    const [svc] = await env.sm.createService({ parent: PARENT, serviceId: 'jokes', service: { cloudRun: { serviceName: 'jokes', location: 'europe-north1' } } });
    const [s] = await env.sm.createServiceLevelObjective({
      parent: svc.name,
      serviceLevelObjectiveId: 'jokes-availability',
      serviceLevelObjective: { goal: 0.99, rollingPeriod: { seconds: DAY }, serviceLevelIndicator: availabilitySli('jokes') },
    });
    slo = s.name!;
    const [ch] = await env.channels.createNotificationChannel({ name: PARENT, notificationChannel: { type: 'email', labels: { email_address: 'oncall@example.com' } } });
    channel = ch.name!;
  });
  afterAll(async () => env?.close());

  it('creates a burn-rate policy with server-assigned IDs and records', async () => {
    const [p] = await env.alerts.createAlertPolicy({
      name: PARENT,
      alertPolicy: {
        displayName: 'jokes fast burn',
        combiner: 'OR',
        conditions: [burnRate(slo)],
        notificationChannels: [channel],
        userLabels: { 'managed-by': 'runctl', 'runctl-set': 'prod' },
        severity: 'CRITICAL',
      },
    });
    expect(p.name).toMatch(new RegExp(`^${PARENT}/alertPolicies/\\d+$`));
    expect(p.conditions?.[0].name).toMatch(new RegExp(`^${p.name}/conditions/\\d+$`));
    expect(p).toMatchObject({ enabled: { value: true }, combiner: 'OR', severity: 'CRITICAL', notificationChannels: [channel] });
    expect(p.creationRecord?.mutatedBy).toBeTruthy();
    expect(p.mutationRecord).toEqual(p.creationRecord);
    const [got] = await env.alerts.getAlertPolicy({ name: p.name });
    expect(got).toEqual(p);
  });

  const invalidPolicies: Array<{ reason: string; policy: () => any }> = [
    { reason: 'the SLO does not exist', policy: () => ({ displayName: 'x', conditions: [burnRate(`${slo}-missing`)] }) },
    { reason: 'burn rate without lookback', policy: () => ({ displayName: 'x', conditions: [{ displayName: 'c', conditionThreshold: { filter: `select_slo_burn_rate("${slo}")`, comparison: 'COMPARISON_GT' } }] }) },
    { reason: 'SLO selector with aggregations', policy: () => ({ displayName: 'x', conditions: [{ ...burnRate(slo), conditionThreshold: { ...burnRate(slo).conditionThreshold, aggregations: [{ alignmentPeriod: { seconds: 60 } }] } }] }) },
    { reason: 'no comparison', policy: () => ({ displayName: 'x', conditions: [{ displayName: 'c', conditionThreshold: { filter: `select_slo_burn_rate("${slo}", "60m")` } }] }) },
    { reason: 'no display name', policy: () => ({ conditions: [burnRate(slo)] }) },
    { reason: 'no conditions', policy: () => ({ displayName: 'x' }) },
    { reason: 'two conditions without a combiner', policy: () => ({ displayName: 'x', conditions: [burnRate(slo), burnRate(slo, '300s')] }) },
    { reason: 'unknown notification channel', policy: () => ({ displayName: 'x', conditions: [burnRate(slo)], notificationChannels: [`${PARENT}/notificationChannels/1`] }) },
    { reason: 'metric filter without metric type', policy: () => ({ displayName: 'x', conditions: [{ displayName: 'c', conditionThreshold: { filter: 'resource.type="x"', comparison: 'COMPARISON_GT' } }] }) },
  ];
  for (const c of invalidPolicies) {
    it(`rejects a policy: ${c.reason}`, async () => {
      expect(await codeOf(env.alerts.createAlertPolicy({ name: PARENT, alertPolicy: c.policy() }))).toBe(INVALID_ARGUMENT);
    });
  }

  it('updates with a mask, and replaces keeping named conditions', async () => {
    const [p] = await env.alerts.createAlertPolicy({ name: PARENT, alertPolicy: { displayName: 'to update', combiner: 'OR', conditions: [burnRate(slo)], userLabels: { team: 'a' } } });
    const kept = p.conditions![0].name!;
    const [masked] = await env.alerts.updateAlertPolicy({ alertPolicy: { name: p.name, displayName: 'renamed', userLabels: { team: 'b' } }, updateMask: { paths: ['display_name'] } });
    expect(masked).toMatchObject({ displayName: 'renamed', userLabels: { team: 'a' } });
    expect(masked.conditions?.[0].name).toBe(kept);
    expect(masked.creationRecord).toEqual(p.creationRecord);

    const [replaced] = await env.alerts.updateAlertPolicy({
      alertPolicy: { name: p.name, displayName: 'replaced', combiner: 'OR', conditions: [{ ...burnRate(slo), name: kept }, burnRate(slo, '300s')] },
    });
    expect(replaced.conditions?.map((c) => c.name)[0]).toBe(kept);
    expect(replaced.conditions?.[1].name).toMatch(new RegExp(`^${p.name}/conditions/\\d+$`));
    expect(replaced.conditions?.[1].name).not.toBe(kept);
    expect(replaced.userLabels).toEqual({});
    const [disabled] = await env.alerts.updateAlertPolicy({ alertPolicy: { name: p.name, enabled: { value: false } }, updateMask: { paths: ['enabled'] } });
    expect(disabled.enabled?.value).toBe(false);
    const foreign = env.alerts.updateAlertPolicy({ alertPolicy: { name: p.name, displayName: 'x', conditions: [{ ...burnRate(slo), name: `${PARENT}/alertPolicies/1/conditions/2` }] } });
    expect(await codeOf(foreign)).toBe(INVALID_ARGUMENT);
  });

  it('lists with label and name filters, order_by, paging and total size', async () => {
    for (const n of ['b-policy', 'a-policy', 'c-policy']) {
      await env.alerts.createAlertPolicy({ name: PARENT, alertPolicy: { displayName: n, conditions: [burnRate(slo)], userLabels: { 'runctl-set': 'paging' } } });
    }
    const [mine] = await env.alerts.listAlertPolicies({ name: PARENT, filter: 'user_labels.runctl-set = "paging"', orderBy: 'display_name' });
    expect(mine.map((p) => p.displayName)).toEqual(['a-policy', 'b-policy', 'c-policy']);
    const [byName] = await env.alerts.listAlertPolicies({ name: PARENT, filter: 'display_name = starts_with("jokes")' });
    expect(byName.map((p) => p.displayName)).toEqual(['jokes fast burn']);
    const [page, , raw] = await env.alerts.listAlertPolicies({ name: PARENT, pageSize: 2 }, { autoPaginate: false });
    expect(page).toHaveLength(2);
    expect(raw?.nextPageToken).toBeTruthy();
    expect(raw?.totalSize).toBe(5);
  });

  it('refuses to delete a channel in use unless forced', async () => {
    expect(await codeOf(env.channels.deleteNotificationChannel({ name: channel }))).toBe(FAILED_PRECONDITION);
    await env.channels.deleteNotificationChannel({ name: channel, force: true });
    const [policies] = await env.alerts.listAlertPolicies({ name: PARENT, filter: 'display_name = "jokes fast burn"' });
    expect(policies[0].notificationChannels).toEqual([]);
  });

  it('deletes policies', async () => {
    const [p] = await env.alerts.createAlertPolicy({ name: PARENT, alertPolicy: { displayName: 'short-lived', conditions: [burnRate(slo)] } });
    await env.alerts.deleteAlertPolicy({ name: p.name });
    expect(await codeOf(env.alerts.getAlertPolicy({ name: p.name }))).toBe(NOT_FOUND);
    expect(await codeOf(env.alerts.deleteAlertPolicy({ name: p.name }))).toBe(NOT_FOUND);
    const stats = await env.stats();
    expect(stats.calls['AlertPolicyService.CreateAlertPolicy']).toBeGreaterThan(0);
    expect(stats.calls['AlertPolicyService.DeleteAlertPolicy']).toBe(2);
    expect(stats.calls['NotificationChannelService.CreateNotificationChannel']).toBe(1);
  });

  it('finds objects by several user labels (user_label.KEY, the identity lookup runctl makes), user labels returned as stored', async () => {
    const identity = { 'runctl-resource': 'slo_x-0123456789', 'runctl-role': 'alert-0' };
    const [made] = await env.alerts.createAlertPolicy({ name: PARENT, alertPolicy: { displayName: 'identity', conditions: [burnRate(slo)], userLabels: identity } });
    await env.alerts.createAlertPolicy({ name: PARENT, alertPolicy: { displayName: 'other role', conditions: [burnRate(slo)], userLabels: { ...identity, 'runctl-role': 'alert-1' } } });
    const [found] = await env.alerts.listAlertPolicies({ name: PARENT, filter: 'user_label.runctl-resource = "slo_x-0123456789" AND user_label.runctl-role = "alert-0"' });
    expect(found.map((p) => p.name)).toEqual([made.name]);
    expect(found[0].userLabels).toEqual(identity);
    const [ch] = await env.channels.createNotificationChannel({ name: PARENT, notificationChannel: { type: 'email', labels: { email_address: 'id@example.com' }, userLabels: { 'runctl-role': 'channel-abc' } } });
    const [chans] = await env.channels.listNotificationChannels({ name: PARENT, filter: 'user_labels.runctl-role = "channel-abc"' });
    expect(chans.map((c) => c.name)).toEqual([ch.name]);
    expect(chans[0].creationRecord?.mutateTime).toBeTruthy();
    for (const p of (await env.alerts.listAlertPolicies({ name: PARENT, filter: 'user_label.runctl-resource = "slo_x-0123456789"' }))[0]) await env.alerts.deleteAlertPolicy({ name: p.name! });
    await env.channels.deleteNotificationChannel({ name: ch.name! });
  });
});
