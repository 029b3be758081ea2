/**
 * Ownership at the moment of deletion: a resource relabelled (`managed-by: terraform`) or
 * changed by another writer between the plan and the delete is not deleted — by
 * `apply --prune`, by `delete -f`, or by a saved plan — and the error names it. The
 * other writer acts through the official clients, between the plan and the execution
 * (while runctl asks for confirmation, or between `plan --out` and `apply PLANFILE`) and
 * as a live race inside the delete call (method latency on the delete). A delete entry
 * added to a plan file by hand is refused, and even a forged one (digests recomputed)
 * deletes nothing runctl does not own. Across all of it, no resource runctl does not
 * own is deleted.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sealPlan, type SavedPlan } from '../../src/engine/saved-plan';
import { serviceYaml, startHarness, type Harness } from '../helpers/harness';

const PROJECT = 'local-project';
const REGION = 'europe-north1';
const nameOf = (s: string) => `projects/${PROJECT}/locations/${REGION}/services/${s}`;
const TERRAFORM = { 'managed-by': 'terraform' };
const STORAGE = 'https://storage.googleapis.com';

describe('ownership at the moment of deletion', () => {
  let h: Harness;
  /** Every service and bucket taken over by another owner: none may ever be deleted. */
  const foreignServices: string[] = [];
  const foreignBuckets: string[] = [];

  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => h?.close());

  const get = async (s: string) => (await h.clients.runServices().getService({ name: nameOf(s) }))[0] as any;
  async function exists(s: string): Promise<boolean> {
    const [list] = await h.clients.runServices().listServices({ parent: `projects/${PROJECT}/locations/${REGION}` }, { autoPaginate: false } as any);
    return (list as any[]).some((x) => x.name === nameOf(s));
  }
  async function bucketExists(b: string): Promise<boolean> {
    const [list] = await h.clients.storage().getBuckets({ project: PROJECT } as any);
    return list.some((x) => x.name === b);
  }

  /** Another tool takes a service over: its labels now say so (written with the service's etag). */
  async function relabel(s: string, labels: Record<string, string> = TERRAFORM): Promise<void> {
    const svc = await get(s);
    const [op] = await h.clients.runServices().updateService({ service: { ...svc, labels } });
    await op.promise();
    if (labels['managed-by'] !== 'runctl') foreignServices.push(s);
  }

  /** Another writer changes a service runctl still owns (a label of its own, the concurrency). */
  async function otherWriter(s: string): Promise<void> {
    const svc = await get(s);
    const template = { ...svc.template, revision: '', maxInstanceRequestConcurrency: 42 };
    const [op] = await h.clients.runServices().updateService({ service: { ...svc, labels: { ...svc.labels, touched: 'yes' }, template } });
    await op.promise();
  }

  function services(dir: string, names: string[]): string {
    const d = path.join(h.dir, dir);
    fs.rmSync(d, { recursive: true, force: true });
    fs.mkdirSync(d, { recursive: true });
    fs.writeFileSync(path.join(d, 'all.yaml'), names.map((n) => serviceYaml(n)).join('---\n') || '');
    return d;
  }

  /** Wait (bounded) until the emulator has received `n` calls of `method`. */
  async function callsReach(method: string, n: number): Promise<void> {
    for (let i = 0; i < 400; i++) {
      if (((await h.stats()).calls[method] ?? 0) >= n) return;
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error(`${method} was never called`);
  }

  it('apply --prune: a service relabelled or changed after the plan was shown is not deleted, and the error names it', async () => {
    expect((await h.cli(['apply', '-f', services('p1', ['p1-keep', 'p1-tf', 'p1-other', 'p1-gone'])])).code).toBe(0);
    const dir = services('p1', ['p1-keep']);
    const r = await h.cli(['apply', '--prune', '-f', dir], {
      // Between the plan on screen and the deletes: one is taken over, one is changed.
      confirm: async () => {
        await relabel('p1-tf');
        await otherWriter('p1-other');
        return true;
      },
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/Service\/p1-tf: .*now managed by "terraform"/);
    expect(r.stderr).toMatch(/Service\/p1-other: .*changed since the plan was made/);
    expect(await exists('p1-tf')).toBe(true);
    expect(await exists('p1-other')).toBe(true);
    // What nobody touched is pruned as planned.
    expect(await exists('p1-gone')).toBe(false);
    expect(await exists('p1-keep')).toBe(true);
  });

  it('apply --prune -o json reports NotOwned and Conflict as the codes', async () => {
    expect((await h.cli(['apply', '-f', services('p2', ['p2-keep', 'p2-tf', 'p2-other'])])).code).toBe(0);
    const r = await h.cli(['apply', '--prune', '-o', 'json', '-f', services('p2', ['p2-keep'])], {
      confirm: async () => {
        await relabel('p2-tf');
        await otherWriter('p2-other');
        return true;
      },
    });
    expect(r.code).toBe(1);
    const results = JSON.parse(r.stdout).results as Array<{ key: string; errorCode?: string }>;
    expect(results.find((x) => x.key === 'Service/p2-tf')?.errorCode).toBe('NotOwned');
    expect(results.find((x) => x.key === 'Service/p2-other')?.errorCode).toBe('Conflict');
  });

  it('apply --prune, live race: a relabel landing while the delete call is in flight fails its etag precondition', async () => {
    for (let trial = 0; trial < 3; trial++) {
      const victim = `p3-${trial}`;
      expect((await h.cli(['apply', '-f', services('p3', ['p3-keep', victim])])).code).toBe(0);
      await h.resetStats();
      h.emu.core.faults.push({ method: 'Services.DeleteService', code: 0, latencyMs: 400 });
      try {
        const run = h.cli(['apply', '--prune', '--yes', '-f', services('p3', ['p3-keep'])]);
        // runctl has read the service, checked it and sent the delete: now the other tool writes.
        await callsReach('Services.DeleteService', 1);
        await relabel(victim);
        const r = await run;
        expect(r.code).toBe(1);
        expect(r.stderr).toMatch(new RegExp(`Service/${victim}: .*relabelled while it was being deleted.*"terraform"`));
      } finally {
        h.emu.core.faults.length = 0;
      }
      expect(await exists(victim)).toBe(true);
    }
  });

  it('delete -f: a service relabelled or changed after the plan was shown is not deleted', async () => {
    const file = h.write('d1/svc.yaml', [serviceYaml('d1-tf'), serviceYaml('d1-other')].join('---\n'));
    expect((await h.cli(['apply', '-f', file])).code).toBe(0);
    const r = await h.cli(['delete', '-f', file], {
      confirm: async () => {
        await relabel('d1-tf');
        await otherWriter('d1-other');
        return true;
      },
    });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/Service\/d1-tf: .*now managed by "terraform"/);
    expect(r.stdout).toMatch(/Service\/d1-other: .*changed since the plan was made/);
    expect(await exists('d1-tf')).toBe(true);
    expect(await exists('d1-other')).toBe(true);
  });

  it('delete -f: a service someone else deleted after the plan is reported as already gone, not as deleted by runctl', async () => {
    const file = h.write('d3/svc.yaml', serviceYaml('d3-gone'));
    expect((await h.cli(['apply', '-f', file])).code).toBe(0);
    const r = await h.cli(['delete', '-f', file], {
      confirm: async () => {
        const [op] = await h.clients.runServices().deleteService({ name: nameOf('d3-gone') });
        await op.promise();
        return true;
      },
    });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Service\/d3-gone .*already gone/);
    expect(r.stdout).toContain('0 deleted, 1 already absent');
  });

  it('delete -f, live race: a relabel while the delete call is in flight', async () => {
    const file = h.write('d2/svc.yaml', serviceYaml('d2-race'));
    expect((await h.cli(['apply', '-f', file])).code).toBe(0);
    await h.resetStats();
    h.emu.core.faults.push({ method: 'Services.DeleteService', code: 0, latencyMs: 400 });
    try {
      const run = h.cli(['delete', '--yes', '-f', file]);
      await callsReach('Services.DeleteService', 1);
      await relabel('d2-race');
      const r = await run;
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(/Service\/d2-race: .*"terraform"/);
    } finally {
      h.emu.core.faults.length = 0;
    }
    expect(await exists('d2-race')).toBe(true);
  });

  it('a saved plan: a pruned service relabelled or changed between plan --out and apply PLANFILE is refused, naming it', async () => {
    expect((await h.cli(['apply', '--set', 's1', '-f', services('s1', ['s1-keep', 's1-tf', 's1-other'])])).code).toBe(0);
    const planFile = path.join(h.dir, 's1.plan.json');
    expect((await h.cli(['plan', '--set', 's1', '--prune', '-f', services('s1', ['s1-keep']), '--out', planFile])).code).toBe(2);
    const saved = JSON.parse(fs.readFileSync(planFile, 'utf8')) as SavedPlan;
    expect(saved.entries.filter((e) => e.pruned).map((e) => [e.key, !!e.etag]).sort()).toEqual([
      ['Service/s1-other', true],
      ['Service/s1-tf', true],
    ]);
    await relabel('s1-tf');
    await otherWriter('s1-other');
    await h.resetStats();
    const r = await h.cli(['apply', '--yes', planFile]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('[StalePlan]');
    expect(r.stderr).toMatch(/Service\/s1-tf is now managed by "terraform"/);
    expect(r.stderr).toMatch(/Service\/s1-other changed since the plan was made/);
    expect((await h.stats()).writes).toBe(0);
    expect(await exists('s1-tf')).toBe(true);
    expect(await exists('s1-other')).toBe(true);
  });

  it('a saved plan, live race: a relabel while its delete call is in flight', async () => {
    expect((await h.cli(['apply', '--set', 's2', '-f', services('s2', ['s2-keep', 's2-race'])])).code).toBe(0);
    const planFile = path.join(h.dir, 's2.plan.json');
    expect((await h.cli(['plan', '--set', 's2', '--prune', '-f', services('s2', ['s2-keep']), '--out', planFile])).code).toBe(2);
    await h.resetStats();
    h.emu.core.faults.push({ method: 'Services.DeleteService', code: 0, latencyMs: 400 });
    try {
      const run = h.cli(['apply', '--yes', planFile]);
      await callsReach('Services.DeleteService', 1);
      await relabel('s2-race');
      const r = await run;
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(/Service\/s2-race: .*"terraform"/);
    } finally {
      h.emu.core.faults.length = 0;
    }
    expect(await exists('s2-race')).toBe(true);
  });

  it('a delete entry added to a plan file by hand is refused; a forged one (digests recomputed) deletes nothing runctl does not own', async () => {
    // A service runctl never owned, and a plan that only creates.
    const [op] = await h.clients.runServices().createService({ parent: `projects/${PROJECT}/locations/${REGION}`, serviceId: 'h-terraform', service: { labels: TERRAFORM, template: { containers: [{ image: 'gcr.io/p/tf:1' }] } } });
    await op.promise();
    foreignServices.push('h-terraform');
    const planFile = path.join(h.dir, 'h.plan.json');
    expect((await h.cli(['plan', '-f', services('h', ['h-new']), '--out', planFile])).code).toBe(2);
    const saved = JSON.parse(fs.readFileSync(planFile, 'utf8')) as SavedPlan;
    const tf = await get('h-terraform');
    const injected = {
      key: 'Service/h-terraform',
      kind: 'Service',
      name: 'h-terraform',
      identity: { project: PROJECT, region: REGION, name: 'h-terraform', fullName: nameOf('h-terraform') },
      action: 'delete' as const,
      changes: [],
      patch: [],
      notes: ['no longer in the manifests'],
      exists: true,
      etag: tf.etag,
      dependsOn: [],
      pruned: true,
    };
    const edited = { ...saved, entries: [...saved.entries, injected] };
    fs.writeFileSync(planFile, JSON.stringify(edited, null, 2));
    await h.resetStats();
    const r = await h.cli(['apply', '--yes', planFile]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('[PlanEdited]');
    expect(r.stderr).toContain('an entry for Service/h-terraform was added');
    expect((await h.stats()).writes).toBe(0);

    // Forged: the digests recomputed over the edit. The engine's own checks still hold.
    const { digest: _d, digests: _p, header, ...plan } = edited as SavedPlan;
    fs.writeFileSync(planFile, JSON.stringify(sealPlan(plan, header), null, 2));
    const forged = await h.cli(['apply', '--yes', planFile]);
    expect(forged.code).toBe(1);
    expect(forged.stderr).toMatch(/Service\/h-terraform is now managed by "terraform"/);
    expect((await h.stats()).calls['Services.DeleteService'] ?? 0).toBe(0);
    expect(await exists('h-terraform')).toBe(true);
    expect(await exists('h-new')).toBe(false);
  });

  it('a bucket relabelled after the plan, or while its delete is in flight (ifMetagenerationMatch: 412), is not deleted', async () => {
    const volumes = (names: string[]) => {
      const d = path.join(h.dir, 'vol');
      fs.rmSync(d, { recursive: true, force: true });
      fs.mkdirSync(d, { recursive: true });
      const docs = names.map((n) => `apiVersion: runctl.dev/v1alpha1\nkind: Volume\nmetadata: {name: ${n}}\nspec: {gcs: {bucket: ${n}-bkt, create: true}}\n`);
      fs.writeFileSync(path.join(d, 'v.yaml'), docs.join('---\n'));
      return d;
    };
    const takeOver = async (bucket: string) => {
      await h.clients.storage().bucket(bucket).setMetadata({ labels: { 'managed-by': 'terraform', 'runctl-set': null, 'runctl-volume': null } });
      foreignBuckets.push(bucket);
    };
    expect((await h.cli(['apply', '-f', volumes(['v-keep', 'v-tf', 'v-race'])])).code).toBe(0);

    const r = await h.cli(['apply', '--prune', '-f', volumes(['v-keep', 'v-race'])], { confirm: async () => (await takeOver('v-tf-bkt'), true) });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/Volume\/v-tf: .*"terraform"/);

    await h.resetStats();
    h.emu.core.faults.push({ method: 'Buckets.Delete', code: 0, latencyMs: 400 });
    try {
      const run = h.cli(['apply', '--prune', '--yes', '-f', volumes(['v-keep'])]);
      await callsReach('Buckets.Delete', 1);
      await takeOver('v-race-bkt');
      const raced = await run;
      expect(raced.code).toBe(1);
      expect(raced.stderr).toMatch(/Volume\/v-race: .*"terraform"/);
    } finally {
      h.emu.core.faults.length = 0;
    }
    expect(await bucketExists('v-tf-bkt')).toBe(true);
    expect(await bucketExists('v-race-bkt')).toBe(true);
  });

  it('an Slo relabelled after the plan, or while its delete waits (Monitoring has no delete precondition), is not deleted', async () => {
    const sm = () => h.clients.monitoring('ServiceMonitoringServiceClient');
    const sloDoc = (name: string) => `apiVersion: runctl.dev/v1alpha1\nkind: Slo\nmetadata: {name: ${name}}\nspec: {service: slo-app, availability: {goal: 0.99, window: 1d}, alerts: []}\n`;
    const app = h.write('slo/app.yaml', serviceYaml('slo-app'));
    const one = h.write('slo/one.yaml', sloDoc('slo-one'));
    const two = h.write('slo/two.yaml', sloDoc('slo-two'));
    expect((await h.cli(['apply', '-f', app, '-f', one, '-f', two])).code).toBe(0);
    const sloName = (id: string) => `projects/${PROJECT}/services/run-slo-app-${REGION}/serviceLevelObjectives/${id}`;
    // Only the labels change (an update mask), so no read is needed first.
    const takeOver = async (id: string) => {
      await sm().updateServiceLevelObjective({ serviceLevelObjective: { name: sloName(id), userLabels: TERRAFORM }, updateMask: { paths: ['user_labels'] } });
    };
    const sloExists = (id: string) => sm().getServiceLevelObjective({ name: sloName(id) }).then(() => true, () => false);

    const r = await h.cli(['delete', '-f', one], { confirm: async () => (await takeOver('slo-one'), true) });
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stdout).toMatch(/Slo\/slo-one: .*"terraform"/);

    await h.resetStats();
    h.emu.core.faults.push({ method: 'ServiceMonitoringService.GetServiceLevelObjective', code: 0, latencyMs: 400 });
    try {
      const run = h.cli(['delete', '--yes', '-f', two]);
      await callsReach('ServiceMonitoringService.GetServiceLevelObjective', 1);
      await takeOver('slo-two');
      const raced = await run;
      expect(raced.code).toBe(1);
      expect(raced.stdout).toMatch(/Slo\/slo-two is now managed by "terraform"/);
    } finally {
      h.emu.core.faults.length = 0;
    }
    expect(await sloExists('slo-one')).toBe(true);
    expect(await sloExists('slo-two')).toBe(true);
    expect((await h.stats()).calls['ServiceMonitoringService.DeleteServiceLevelObjective'] ?? 0).toBe(0);
  });

  it('deleted no resource runctl does not own', async () => {
    expect(foreignServices.length).toBeGreaterThanOrEqual(8);
    for (const s of foreignServices) {
      expect(await exists(s), s).toBe(true);
      expect((await get(s)).labels['managed-by']).toBe('terraform');
    }
    for (const b of foreignBuckets) expect(await bucketExists(b), b).toBe(true);
  });
});
