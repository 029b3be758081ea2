/**
 * One cloud object per resource, also for objects whose IDs the server assigns (alert
 * policies, notification channels): two `runctl apply` processes of one set at once
 * converge on exactly one of each and both exit 0; a create slower than its deadline is
 * looked up, not repeated; duplicates carrying runctl's identity are shown by `diff` and
 * removed by `apply`.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import YAML from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { identityLabels } from '../../src/engine/ownership';
import { channelIdentity } from '../../controllers/slo/model';
import { startHarness, type Harness } from '../helpers/harness';
import { inventory, PROJECT, REGION } from './world';

const CLI = path.resolve(__dirname, '../../dist/src/cli/main.js');
const TRIALS = 5;
const P = `projects/${PROJECT}`;
const doc = (kind: string, name: string, spec: Record<string, unknown>) => YAML.stringify({ apiVersion: 'runctl.dev/v1alpha1', kind, metadata: { name }, spec });

const SERVICES = Array.from({ length: 10 }, (_, i) => `co-app-${i}`);
const ALERTS = [
  { burnRate: 14.4, lookback: '1h', notify: ['email:oncall@example.com'] },
  { burnRate: 6, lookback: '6h', notify: ['email:oncall@example.com', 'email:lead@example.com'] },
  { burnRate: 1, lookback: '3d', notify: ['email:tickets@example.com'] },
];
const ADDRESSES = ['lead@example.com', 'oncall@example.com', 'tickets@example.com'];
const YAML_SET = [
  ...SERVICES.map((s) => doc('Service', s, { region: REGION, image: `${REGION}-docker.pkg.dev/${PROJECT}/apps/${s}:1`, ingress: 'all' })),
  doc('LoadBalancer', 'co-lb', { defaultService: SERVICES[0], routes: [{ paths: ['/api/*'], service: SERVICES[1] }] }),
  doc('Slo', 'co-avail', { service: SERVICES[0], availability: { goal: 0.99, window: '7d' }, alerts: ALERTS }),
].join('---\n');

/** 300 ms on every create, in every API the set touches. */
const CREATE_LATENCY = [
  'Services.CreateService', 'ServiceMonitoringService.CreateService', 'ServiceMonitoringService.CreateServiceLevelObjective',
  'AlertPolicyService.CreateAlertPolicy', 'NotificationChannelService.CreateNotificationChannel',
  'RegionNetworkEndpointGroups.Insert', 'BackendServices.Insert', 'UrlMaps.Insert', 'TargetHttpProxies.Insert', 'GlobalForwardingRules.Insert',
].map((method) => ({ method, code: 0, latencyMs: 300 }));

async function postFaults(h: Harness, faults: unknown[]): Promise<void> {
  const res = await fetch(`http://${h.emu.http}/__emulator/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ faults }) });
  expect(res.status).toBe(200);
}

/** The built CLI as its own process (two of them race for real, with separate clients). */
function runCli(h: Harness, args: string[], env: Record<string, string> = {}): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: h.dir, env: { ...process.env, RUNCTL_EMULATOR_HOST: h.emu.grpc, NO_COLOR: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.once('exit', (code) => resolve({ code: code ?? -1, out }));
  });
}

async function all<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

const policiesOf = async (h: Harness) => (await all(h.clients.monitoring('AlertPolicyServiceClient').listAlertPoliciesAsync({ name: P }, { autoPaginate: false } as any))) as any[];
const channelsOf = async (h: Harness) => (await all(h.clients.monitoring('NotificationChannelServiceClient').listNotificationChannelsAsync({ name: P }, { autoPaginate: false } as any))) as any[];

describe('two concurrent applies of one set', () => {
  const harnesses: Harness[] = [];
  afterAll(async () => {
    for (const h of harnesses) await h.close();
  });

  it.each(Array.from({ length: TRIALS }, (_, i) => ({ trial: i + 1 })))('trial $trial: one object per alert, address and sub-resource; both exit 0; diff is clean', async () => {
    const h = await startHarness();
    harnesses.push(h);
    await postFaults(h, CREATE_LATENCY);
    const file = h.write('set/all.yaml', YAML_SET);
    const [a, b] = await Promise.all([runCli(h, ['apply', '-f', file]), runCli(h, ['apply', '-f', file])]);
    expect(a.code, a.out).toBe(0);
    expect(b.code, b.out).toBe(0);

    // Each Service was created by one process; the other says it found it made.
    for (const s of SERVICES) {
      const claims = [a.out, b.out].filter((out) => out.includes(`✓ Service/${s} (created)`));
      expect(claims, `${s}\n${a.out}\n----\n${b.out}`).toHaveLength(1);
    }

    const policies = await policiesOf(h);
    expect(policies.map((p) => p.userLabels['runctl-alert']).sort()).toEqual(['0', '1', '2']);
    const channels = await channelsOf(h);
    expect(channels.map((c) => c.labels.email_address).sort()).toEqual(ADDRESSES);
    // Every alert notifies the surviving channels, not a deleted duplicate.
    const names = new Set(channels.map((c) => c.name));
    for (const p of policies) for (const c of p.notificationChannels) expect(names.has(c)).toBe(true);
    const world = await inventory(h.clients);
    expect(world.services).toEqual([...SERVICES].sort());
    expect(new Set(world.negs).size).toBe(world.negs.length);
    expect(world.forwardingRules).toHaveLength(1);

    const diff = await h.cli(['diff', '-f', file]);
    expect(diff.code, diff.stdout).toBe(0);
  });
});

describe('a create slower than its deadline', () => {
  it('is looked up afterwards, not sent again: exactly one alert policy', async () => {
    const h = await startHarness();
    try {
      h.write('slow/svc.yaml', doc('Service', 'slow', { region: REGION, image: `${REGION}-docker.pkg.dev/${PROJECT}/apps/slow:1` }));
      const file = h.write('slow/slo.yaml', doc('Slo', 'slow-avail', { service: 'slow', availability: { goal: 0.99, window: '1d' }, alerts: [ALERTS[0]] }));
      // The server makes the policy after 1.5 s; the client gives up after 1 s.
      await postFaults(h, [{ method: 'AlertPolicyService.CreateAlertPolicy', code: 0, latencyMs: 1500 }]);
      await h.resetStats();
      const r = await runCli(h, ['apply', '-f', path.dirname(file)], { RUNCTL_CALL_TIMEOUT: '1s' });
      expect(r.code, r.out).toBe(0);
      expect(r.out).toMatch(/looking it up/);
      expect((await h.stats()).calls['AlertPolicyService.CreateAlertPolicy']).toBe(1);
      expect(await policiesOf(h)).toHaveLength(1);
      expect((await h.cli(['diff', '-f', path.dirname(file)])).code).toBe(0);
    } finally {
      await h.close();
    }
  });
});

describe('duplicates carrying runctl\'s identity', () => {
  it('are shown by diff (exit 2) and removed by apply', async () => {
    const h = await startHarness();
    try {
      h.write('dup/svc.yaml', doc('Service', 'dup', { region: REGION, image: `${REGION}-docker.pkg.dev/${PROJECT}/apps/dup:1` }));
      h.write('dup/slo.yaml', doc('Slo', 'dup-avail', { service: 'dup', availability: { goal: 0.99, window: '1d' }, alerts: ALERTS.slice(0, 2) }));
      const dir = path.join(h.dir, 'dup');
      expect((await h.cli(['apply', '-f', dir])).code).toBe(0);
      const [policy] = (await policiesOf(h)).filter((p) => p.userLabels['runctl-alert'] === '1');
      const [channel] = (await channelsOf(h)).filter((c) => c.labels.email_address === 'lead@example.com');
      expect(policy.userLabels).toMatchObject(identityLabels('default', 'Slo/dup-avail', 'alert-1'));
      expect(channel.userLabels).toMatchObject(channelIdentity('default', 'lead@example.com'));

      // Copies made by hand through the official client, with the same identity.
      const ap = h.clients.monitoring('AlertPolicyServiceClient');
      const nc = h.clients.monitoring('NotificationChannelServiceClient');
      const copy = (o: any, drop: string[]) => Object.fromEntries(Object.entries(o).filter(([k]) => !drop.includes(k)));
      const [dupChannel] = await nc.createNotificationChannel({ name: P, notificationChannel: copy(channel, ['name', 'creationRecord', 'mutationRecords', 'verificationStatus']) as any });
      const [dupPolicy] = await ap.createAlertPolicy({
        name: P,
        alertPolicy: { ...copy(policy, ['name', 'creationRecord', 'mutationRecord']), conditions: policy.conditions.map((c: any) => copy(c, ['name'])), notificationChannels: [dupChannel.name] } as any,
      });

      const diff = await h.cli(['diff', '-f', dir]);
      expect(diff.code).toBe(2);
      expect(diff.stdout).toContain(`(${dupPolicy.name}) (delete)`);
      expect(diff.stdout).toContain(`# duplicate of ${policy.name}`);
      expect(diff.stdout).toContain(`(${dupChannel.name}) (delete)`);
      expect(diff.stdout).toContain(`# duplicate of ${channel.name}`);

      const r = await h.cli(['apply', '-f', dir]);
      expect(r.code, r.stderr).toBe(0);
      const names = (await policiesOf(h)).map((p) => p.name);
      expect(names).toContain(policy.name);
      expect(names).not.toContain(dupPolicy.name);
      expect(names).toHaveLength(2);
      const chans = (await channelsOf(h)).map((c) => c.name);
      expect(chans).toContain(channel.name);
      expect(chans).not.toContain(dupChannel.name);
      expect((await h.cli(['diff', '-f', dir])).code).toBe(0);
    } finally {
      await h.close();
    }
  });

  it('objects made before identity labels existed are recognised and labelled, never duplicated', async () => {
    const h = await startHarness();
    try {
      h.write('old/svc.yaml', doc('Service', 'old', { region: REGION, image: `${REGION}-docker.pkg.dev/${PROJECT}/apps/old:1` }));
      h.write('old/slo.yaml', doc('Slo', 'old-avail', { service: 'old', availability: { goal: 0.99, window: '1d' }, alerts: [ALERTS[0]] }));
      const dir = path.join(h.dir, 'old');
      expect((await h.cli(['apply', '-f', dir])).code).toBe(0);
      // Strip the identity labels, as an earlier runctl made them.
      const ap = h.clients.monitoring('AlertPolicyServiceClient');
      const nc = h.clients.monitoring('NotificationChannelServiceClient');
      const legacy = (l: Record<string, string>) => Object.fromEntries(Object.entries(l).filter(([k]) => k !== 'runctl-resource' && k !== 'runctl-role'));
      const [policy] = await policiesOf(h);
      const [channel] = await channelsOf(h);
      await ap.updateAlertPolicy({ alertPolicy: { name: policy.name, userLabels: legacy(policy.userLabels) }, updateMask: { paths: ['user_labels'] } });
      await nc.updateNotificationChannel({ notificationChannel: { name: channel.name, userLabels: legacy(channel.userLabels) }, updateMask: { paths: ['user_labels'] } });

      expect((await h.cli(['diff', '-f', dir])).code).toBe(2);
      expect((await h.cli(['apply', '-f', dir])).code).toBe(0);
      const [p2, ...morePolicies] = await policiesOf(h);
      const [c2, ...moreChannels] = await channelsOf(h);
      expect(morePolicies).toHaveLength(0);
      expect(moreChannels).toHaveLength(0);
      expect(p2.name).toBe(policy.name);
      expect(c2.name).toBe(channel.name);
      expect(p2.userLabels).toMatchObject(identityLabels('default', 'Slo/old-avail', 'alert-0'));
      expect(c2.userLabels).toMatchObject(channelIdentity('default', 'oncall@example.com'));
      expect((await h.cli(['diff', '-f', dir])).code).toBe(0);
    } finally {
      await h.close();
    }
  });
});


describe('two concurrent applies while operations are slow', () => {
  it("converge on the README's manifests: both exit 0, each create claimed once, no placeholder ever written", async () => {
    // Each process meets the other's creates still in flight: a half-made object is
    // waited for, not judged (a conflict) or read for its status (a URL not there yet).
    const h = await startHarness({ operationLatencyMs: 2000 });
    try {
      const dir = path.join(h.dir, 'manifests');
      fs.cpSync(path.resolve(__dirname, '../../manifests'), dir, { recursive: true });
      const [a, b] = await Promise.all([runCli(h, ['apply', '-f', dir]), runCli(h, ['apply', '-f', dir])]);
      expect(a.code, a.out).toBe(0);
      expect(b.code, b.out).toBe(0);
      for (const key of ['Service/jokes', 'Service/gradio', 'GpuModel/ollama-gemma', 'Volume/gradio-data']) {
        const claims = [a.out, b.out].filter((out) => out.includes(`✓ ${key} (created)`));
        expect(claims, `${key}\n${a.out}\n----\n${b.out}`).toHaveLength(1);
      }
      const [services] = await h.clients.runServices().listServices({ parent: `projects/${PROJECT}/locations/europe-north1` });
      const env = services.flatMap((s: any) => s.template.containers.flatMap((c: any) => c.env ?? []));
      expect(env.length).toBeGreaterThan(0);
      for (const e of env) expect(String(e.value ?? '')).not.toContain('known after apply');
      const diff = await h.cli(['diff', '-f', dir]);
      expect(diff.code, diff.stdout).toBe(0);
    } finally {
      await h.close();
    }
  }, 180_000);

  it('when the second starts while the first one\'s creates are still in flight: it waits for what it references, and both exit 0', async () => {
    // The second process plans against objects that exist but are still being created
    // (no URL yet): a dependent waits for them instead of failing on an unknown value.
    const h = await startHarness({ operationLatencyMs: 5000 });
    try {
      const dir = path.join(h.dir, 'manifests');
      fs.cpSync(path.resolve(__dirname, '../../manifests'), dir, { recursive: true });
      const first = runCli(h, ['apply', '-f', dir]);
      // Start the second once the GPU service (whose URL Service/jokes references) exists, still being created.
      const gpu = async () => (await h.clients.runServices().listServices({ parent: `projects/${PROJECT}/locations/europe-west4` }))[0].length;
      for (let i = 0; i < 600 && !(await gpu()); i++) await new Promise((r) => setTimeout(r, 50));
      expect(await gpu()).toBe(1);
      const [a, b] = await Promise.all([first, runCli(h, ['apply', '-f', dir])]);
      expect(a.code, a.out).toBe(0);
      expect(b.code, b.out).toBe(0);
      const diff = await h.cli(['diff', '-f', dir]);
      expect(diff.code, diff.stdout).toBe(0);
    } finally {
      await h.close();
    }
  }, 180_000);

  it('that create one Service with different images: one creates, the other re-plans and says what it changed', async () => {
    const h = await startHarness({ operationLatencyMs: 1000 });
    try {
      // Both plan a create (the creates land only after both have read), then race.
      await postFaults(h, [{ method: 'Services.CreateService', code: 0, latencyMs: 1500 }]);
      const svc = (image: string) => doc('Service', 'co-race', { region: REGION, image });
      const fa = h.write('a/svc.yaml', svc(`${REGION}-docker.pkg.dev/${PROJECT}/apps/race:a`));
      const fb = h.write('b/svc.yaml', svc(`${REGION}-docker.pkg.dev/${PROJECT}/apps/race:b`));
      const [a, b] = await Promise.all([runCli(h, ['apply', '-f', fa]), runCli(h, ['apply', '-f', fb])]);
      expect(a.code, a.out).toBe(0);
      expect(b.code, b.out).toBe(0);
      const outs = [a.out, b.out];
      expect(outs.filter((o) => o.includes('✓ Service/co-race (created)'))).toHaveLength(1);
      const second = outs.findIndex((o) => o.includes('created by a concurrent apply, then updated'));
      expect(second, outs.join('\n----\n')).toBeGreaterThanOrEqual(0);
      // The re-planned write names the other writer's value as old, and its own as new; the live value is its own.
      const mine = second === 0 ? 'race:a' : 'race:b';
      const theirs = second === 0 ? 'race:b' : 'race:a';
      expect(outs[second]).toMatch(new RegExp(`spec\\.image: "[^"]*${theirs}" → "[^"]*${mine}"`));
      const [live] = await h.clients.runServices().getService({ name: `projects/${PROJECT}/locations/${REGION}/services/co-race` });
      expect((live as any).template.containers[0].image).toContain(mine);
    } finally {
      await h.close();
    }
  }, 120_000);
});
