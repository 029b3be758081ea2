/**
 * Saved plans run exactly what they show: `apply PLANFILE` executes the desired states
 * recorded in the file (never the manifests re-read), refuses any edit of the file
 * naming it as the reason, refuses another target naming the target, and an untouched
 * plan leaves the live state equal to what the plan printed. Plan files are private.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { SavedPlan } from '../../src/engine/saved-plan';
import { serviceYaml, startHarness, type Harness } from '../helpers/harness';

const PROJECT = 'local-project';
const REGION = 'europe-north1';
const nameOf = (s: string) => `projects/${PROJECT}/locations/${REGION}/services/${s}`;
const image = (s: string, tag: string) => `${REGION}-docker.pkg.dev/p/r/${s}:${tag}`;

describe('saved plans', () => {
  let h: Harness;
  let other: Harness;
  let file: string;
  let planFile: string;
  let pristine: string;

  beforeAll(async () => {
    h = await startHarness();
    other = await startHarness();
    file = h.write('app/svc.yaml', serviceYaml('sp', { image: image('sp', '1') }));
    expect((await h.cli(['apply', '-f', file])).code).toBe(0);
  });
  afterAll(async () => {
    await other?.close();
    await h?.close();
  });

  const get = async (s: string) => (await h.clients.runServices().getService({ name: nameOf(s) }))[0] as any;
  const exists = async (s: string) => get(s).then(() => true, () => false);

  beforeEach(async () => {
    // A plan that updates `sp` (image 1 → 2) and creates `sp-new`, saved into a new directory.
    h.write('app/svc.yaml', [serviceYaml('sp', { image: image('sp', '2') }), serviceYaml('sp-new')].join('---\n'));
    planFile = path.join(h.dir, `plans-${Date.now()}`, 'nested', 'app.plan.json');
    expect((await h.cli(['plan', '-f', file, '--out', planFile])).code).toBe(2);
    pristine = fs.readFileSync(planFile, 'utf8');
  });

  const saved = (): SavedPlan => JSON.parse(pristine);
  async function applyEdited(edit: (p: SavedPlan) => void, harness = h): Promise<{ code: number; stdout: string; stderr: string; writes: number }> {
    const p = saved();
    edit(p);
    fs.writeFileSync(planFile, JSON.stringify(p, null, 2));
    await harness.resetStats();
    const r = await harness.cli(['apply', planFile]);
    return { ...r, writes: (await harness.stats()).writes };
  }
  const entry = (p: SavedPlan, key: string) => p.entries.find((e) => e.key === key)!;

  it('is written 0600, in a directory runctl creates 0700, as format runctl.plan/v2 with a digest', () => {
    expect(fs.statSync(planFile).mode & 0o777).toBe(0o600);
    expect(fs.statSync(path.dirname(planFile)).mode & 0o777).toBe(0o700);
    expect(fs.statSync(path.dirname(path.dirname(planFile))).mode & 0o777).toBe(0o700);
    const p = saved();
    expect(p.format).toBe('runctl.plan/v2');
    expect(p.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(p.target).toMatchObject({ mode: 'emulator', endpoint: `grpc=${h.emu.grpc} http=${h.emu.http}`, projects: [PROJECT] });
    const sp = entry(p, 'Service/sp');
    expect(sp.manifest?.spec.image).toBe(image('sp', '2'));
    expect(sp.manifest?.metadata.labels).toMatchObject({ 'managed-by': 'runctl', 'runctl-set': 'default' });
    expect(sp.desired?.image).toBe(image('sp', '2'));
  });

  it('keeps an existing plan file private when it is overwritten', async () => {
    fs.chmodSync(planFile, 0o644);
    expect((await h.cli(['plan', '-f', file, '--out', planFile])).code).toBe(2);
    expect(fs.statSync(planFile).mode & 0o777).toBe(0o600);
  });

  const edits: Array<[string, (p: SavedPlan) => void, RegExp]> = [
    ['an image in the recorded desired state', (p) => void (entry(p, 'Service/sp').desired!.image = 'EVIL:666'), /the entry for Service\/sp was changed/],
    ['an image in the recorded manifest', (p) => void (entry(p, 'Service/sp').manifest!.spec.image = 'EVIL:666'), /the entry for Service\/sp was changed/],
    ['an image in the rendered changes', (p) => void (entry(p, 'Service/sp').changes.find((c) => c.path === 'spec.image')!.new = 'EVIL:666'), /the entry for Service\/sp was changed/],
    ['the set', (p) => void (p.set = 'other-set'), /the set was changed/],
    ['the target project', (p) => void (p.target.project = 'other-project'), /the target was changed/],
    ['a resource\'s project', (p) => void (entry(p, 'Service/sp-new').identity.project = 'other-project'), /the entry for Service\/sp-new was changed/],
    [
      'an added resource',
      (p) => {
        const copy = JSON.parse(JSON.stringify(entry(p, 'Service/sp-new')));
        copy.key = 'Service/sp-extra';
        copy.name = 'sp-extra';
        p.entries.push(copy);
      },
      /an entry for Service\/sp-extra was added/,
    ],
    ['a removed resource', (p) => void p.entries.splice(p.entries.findIndex((e) => e.key === 'Service/sp-new'), 1), /the entry for Service\/sp-new was removed/],
    ['the digest itself', (p) => void (p.digest = `sha256:${'0'.repeat(64)}`), /its digest does not match/],
  ];

  for (const [what, edit, reason] of edits) {
    it(`refuses a plan file with ${what} edited, naming the edit, and writes nothing`, async () => {
      const r = await applyEdited(edit);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('[PlanEdited]');
      expect(r.stderr).toMatch(/was edited or is corrupted/);
      expect(r.stderr).toMatch(reason);
      expect(r.stderr).not.toMatch(/stale|changed since the plan was made/);
      expect(r.writes).toBe(0);
      expect((await get('sp')).template.containers[0].image).toBe(image('sp', '1'));
      expect(await exists('sp-new')).toBe(false);
    });
  }

  it('refuses a file that is not valid JSON as corrupted', async () => {
    fs.writeFileSync(planFile, pristine.slice(0, pristine.length / 2));
    const r = await h.cli(['apply', planFile]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('[PlanEdited]');
  });

  it('refuses a plan made against another emulator, naming the target, and writes nothing there', async () => {
    fs.writeFileSync(planFile, pristine);
    await other.resetStats();
    const r = await other.cli(['apply', planFile]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('[WrongTarget]');
    expect(r.stderr).toContain(`emulator at ${h.emu.grpc}`);
    expect(r.stderr).toContain(`emulator at ${other.emu.grpc}`);
    expect(r.stderr).not.toMatch(/stale|edited/);
    expect((await other.stats()).writes).toBe(0);
  });

  it('refuses a plan applied with another --project, naming the target', async () => {
    fs.writeFileSync(planFile, pristine);
    const r = await h.cli(['apply', '--project', 'other-project', planFile]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('[WrongTarget]');
    expect(r.stderr).toContain('project other-project');
  });

  it('applies an untouched plan: prints it as recorded, executes the recorded values (not the manifests as they are now), and the live state equals what it printed', async () => {
    const shown = (await h.cli(['plan', '-f', file])).stdout;
    expect(shown).toContain(`~ spec.image: "${image('sp', '1')}" → "${image('sp', '2')}"`);
    // The manifests change after the review: the saved plan still runs what was reviewed.
    h.write('app/svc.yaml', [serviceYaml('sp', { image: image('sp', '3') }), serviceYaml('sp-new', { image: image('sp-new', '3') })].join('---\n'));
    fs.writeFileSync(planFile, pristine);
    const r = await h.cli(['apply', planFile]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.startsWith(shown)).toBe(true);
    expect((await get('sp')).template.containers[0].image).toBe(image('sp', '2'));
    expect((await get('sp-new')).template.containers[0].image).toBe(image('sp-new', '1'));
    // The live state is what the plan printed: planning the recorded manifests again shows no change.
    h.write('app/svc.yaml', [serviceYaml('sp', { image: image('sp', '2') }), serviceYaml('sp-new')].join('---\n'));
    expect((await h.cli(['diff', '-f', file])).code).toBe(0);
    // Reset for the next test.
    h.write('app/svc.yaml', serviceYaml('sp', { image: image('sp', '1') }));
    expect((await h.cli(['apply', '--prune', '--yes', '-f', file])).code).toBe(0);
  });

  it('resolves values known after apply from what the same plan created', async () => {
    const dir = path.join(h.dir, 'refs');
    h.write('refs/backend.yaml', serviceYaml('ka-backend'));
    h.write('refs/frontend.yaml', serviceYaml('ka-frontend', { env: { BACKEND_URL: '${Service/ka-backend.status.url}/v1', PLAIN: 'x' } }));
    const refsPlan = path.join(h.dir, 'refs.plan.json');
    const planned = await h.cli(['plan', '-f', dir, '--out', refsPlan]);
    expect(planned.stdout).toContain('(known after apply)');
    const r = await h.cli(['apply', refsPlan]);
    expect(r.code, r.stderr).toBe(0);
    const backend = (await h.clients.runServices().getService({ name: nameOf('ka-backend') }))[0] as any;
    const env = ((await get('ka-frontend')).template.containers[0].env as any[]).find((e) => e.name === 'BACKEND_URL');
    expect(env.value).toBe(`${backend.uri}/v1`);
    expect((await h.cli(['diff', '-f', dir])).code).toBe(0);
  });

  it('every kind round-trips: updates and prunes of Services, a Volume, a LoadBalancer, an Slo and the Policy apply from an untouched saved plan', async () => {
    const doc = (kind: string, name: string, spec: Record<string, unknown>) => JSON.stringify({ apiVersion: 'runctl.dev/v1alpha1', kind, metadata: { name }, spec });
    const world = (v: number, withExtras: boolean) => {
      const docs = [
        doc('Service', 'k-web', { region: REGION, image: image('k-web', String(v)), ingress: 'all', volumes: [{ volume: 'k-data', mountPath: '/data' }] }),
        doc('Volume', 'k-data', { gcs: { bucket: 'k-data-bucket', create: true } }),
        doc('LoadBalancer', 'k-lb', { defaultService: 'k-web', ...(v > 1 ? { staticIp: true } : {}) }),
        doc('Slo', 'k-avail', { service: 'k-web', availability: { goal: v > 1 ? 0.995 : 0.99, window: '1d' }, alerts: [{ burnRate: 10, lookback: '5m', notify: ['email:oncall@example.com'] }] }),
        doc('Policy', 'default', { defaultRule: { evaluationMode: v > 1 ? 'ALWAYS_DENY' : 'ALWAYS_ALLOW', enforcementMode: 'ENFORCED_BLOCK_AND_AUDIT_LOG' } }),
      ];
      if (withExtras) {
        docs.push(doc('Service', 'k-api', { region: REGION, image: image('k-api', '1'), ingress: 'all' }));
        docs.push(doc('LoadBalancer', 'k-lb2', { defaultService: 'k-api' }));
        docs.push(doc('Slo', 'k-api-avail', { service: 'k-api', availability: { goal: 0.9, window: '1d' }, alerts: [] }));
        docs.push(doc('Volume', 'k-old', { gcs: { bucket: 'k-old-bucket', create: true } }));
      }
      return docs.join('\n---\n');
    };
    const dir = path.join(h.dir, 'kinds');
    const f = h.write('kinds/all.yaml', world(1, true));
    const first = await h.cli(['apply', '--set', 'kinds', '-f', dir]);
    expect(first.code, first.stderr).toBe(0);
    // Change something of every kind and drop the extras (pruned: a Service, an LB, an Slo, a bucket).
    fs.writeFileSync(f, world(2, false));
    const kindsPlan = path.join(h.dir, 'kinds.plan.json');
    const planned = await h.cli(['plan', '--set', 'kinds', '--prune', '-f', dir, '--out', kindsPlan]);
    expect(planned.code, planned.stderr).toBe(2);
    const p = JSON.parse(fs.readFileSync(kindsPlan, 'utf8')) as SavedPlan;
    const actions = Object.fromEntries(p.entries.map((e) => [e.key, e.action]));
    expect(actions).toMatchObject({ 'Service/k-web': 'update', 'LoadBalancer/k-lb': 'update', 'Slo/k-avail': 'update', 'Policy/default': 'update', 'Service/k-api': 'delete', 'LoadBalancer/k-lb2': 'delete', 'Slo/k-api-avail': 'delete', 'Volume/k-old': 'delete' });
    const r = await h.cli(['apply', '--yes', kindsPlan]);
    expect(r.code, r.stderr).toBe(0);
    expect((await h.cli(['diff', '--set', 'kinds', '--prune', '-f', dir])).code).toBe(0);
    expect(await exists('k-api')).toBe(false);
  });

  it('refuses a plan file saved by an older runctl (format v1)', async () => {
    const old = { ...saved(), format: 'runctl.plan/v1' };
    fs.writeFileSync(planFile, JSON.stringify(old));
    const r = await h.cli(['apply', planFile]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('runctl.plan/v1');
  });
});
