/**
 * The manifest wins (DESIGN.md): spec.project / spec.region over --project, --region,
 * GOOGLE_CLOUD_PROJECT, CLOUDSDK_RUN_REGION and the gcloud configuration, which only
 * fill in manifests that name none. A flag contradicting a manifest is refused before
 * any API call; the gcloud configuration never makes real Google Cloud the target.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serviceExists, serviceYaml, startHarness, type Harness } from '../helpers/harness';
import { startCli } from '../helpers/loop-runner';

const MANIFESTS = path.resolve(__dirname, '../../manifests');

describe('precedence: the manifest wins', () => {
  let h: Harness;
  let dir: string;
  const exists = (name: string) => serviceExists(h, name);
  /** A gcloud configuration directory as `gcloud config set` leaves it. */
  const gcloudDir = (name: string, active: string | undefined, configs: Record<string, string>) => {
    const root = path.join(h.dir, name);
    fs.mkdirSync(path.join(root, 'configurations'), { recursive: true });
    if (active) fs.writeFileSync(path.join(root, 'active_config'), active);
    for (const [config, text] of Object.entries(configs)) fs.writeFileSync(path.join(root, 'configurations', `config_${config}`), text);
    return root;
  };

  beforeAll(async () => {
    h = await startHarness();
    dir = path.join(h.dir, 'manifests');
    fs.cpSync(MANIFESTS, dir, { recursive: true });
    const first = await h.cli(['apply', '-f', dir]);
    expect(first.code).toBe(0);
  });
  afterAll(async () => h?.close());

  it('CLOUDSDK_RUN_REGION exported: the applied quick start still has no changes', async () => {
    const r = await h.cli(['diff', '-f', dir], { env: { CLOUDSDK_RUN_REGION: 'us-central1' } });
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('No changes');
    expect(r.code).toBe(0);
  });

  it('a gcloud run/region changes nothing the manifests name', async () => {
    const cfg = gcloudDir('gcloud-quick', undefined, { default: '[run]\nregion = asia-east1\n' });
    const r = await h.cli(['diff', '-f', dir], { env: { CLOUDSDK_CONFIG: cfg } });
    expect(r.code).toBe(0);
  });

  it('--region contradicting a manifest is refused at file:line with both values, before any API call', async () => {
    await h.resetStats();
    const r = await h.cli(['diff', '-f', dir, '--region', 'europe-north1']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/\[Usage\]\n$/);
    const line = r.stderr.split('\n').find((l) => l.includes('GpuModel/ollama-gemma'))!;
    expect(line).toMatch(/ollama-gemma\.yaml:11:\d+: /);
    expect(line).toContain('europe-west4');
    expect(line).toContain('europe-north1');
    // The manifests that say europe-north1 agree with the flag: no problem there.
    expect(r.stderr).not.toContain('Service/jokes:');
    expect((await h.stats()).calls).toEqual({});
  });

  it('--project contradicting spec.project is refused the same way, on apply too', async () => {
    h.write('pinned/svc.yaml', serviceYaml('pinned', { project: 'alpha-project' }));
    await h.resetStats();
    const r = await h.cli(['apply', '-f', path.join(h.dir, 'pinned'), '--project', 'beta-project']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/svc\.yaml:\d+:\d+: Service\/pinned: spec\.project: .*"alpha-project".*--project.*"beta-project"/);
    expect(r.stderr).toMatch(/\[Usage\]\n$/);
    expect((await h.stats()).calls).toEqual({});
  });

  it('flags and environment fill in only manifests that name no project or region', async () => {
    h.write('mixed/own.yaml', serviceYaml('own-place', { project: 'alpha-project', region: 'europe-west1' }));
    h.write('mixed/defaulted.yaml', serviceYaml('defaulted', { region: undefined }));
    const r = await h.cli(['apply', '-f', path.join(h.dir, 'mixed')], { env: { GOOGLE_CLOUD_PROJECT: 'beta-project', CLOUDSDK_RUN_REGION: 'asia-south1' } });
    expect(r.stderr).not.toMatch(/error/);
    expect(r.code).toBe(0);
    expect(await exists('projects/alpha-project/locations/europe-west1/services/own-place')).toBe(true);
    expect(await exists('projects/beta-project/locations/asia-south1/services/defaulted')).toBe(true);
    expect(r.stdout).toMatch(/^Target: emulator at [^\n]* · project alpha-project, beta-project\n/);
  });

  it('--region beats CLOUDSDK_RUN_REGION, which beats gcloud run/region', async () => {
    const cfg = gcloudDir('gcloud-order', undefined, { default: '[run]\nregion = us-west1\n' });
    h.write('order/svc.yaml', serviceYaml('ordered', { region: undefined }));
    const file = path.join(h.dir, 'order');
    const plan = async (args: string[], env: Record<string, string>) => JSON.parse((await h.cli(['diff', '-f', file, '-o', 'json', ...args], { env: { CLOUDSDK_CONFIG: cfg, ...env } })).stdout);
    const region = (p: any) => p.entries[0].identity.region;
    expect(region(await plan([], {}))).toBe('us-west1');
    expect(region(await plan([], { CLOUDSDK_RUN_REGION: 'us-east4' }))).toBe('us-east4');
    expect(region(await plan(['--region', 'europe-west2'], { CLOUDSDK_RUN_REGION: 'us-east4' }))).toBe('europe-west2');
  });

  it('reads the active gcloud configuration (active_config, CLOUDSDK_ACTIVE_CONFIG_NAME, CLOUDSDK_CORE_PROJECT)', async () => {
    const cfg = gcloudDir('gcloud-named', 'work', {
      default: '[core]\nproject = home-project\n',
      work: '[core]\naccount = me@example.com\nproject = work-project\n\n[run]\nregion = europe-west3\n',
    });
    h.write('gc/svc.yaml', serviceYaml('from-gcloud', { region: undefined }));
    const file = path.join(h.dir, 'gc');
    const plan = async (env: Record<string, string>) => JSON.parse((await h.cli(['diff', '-f', file, '-o', 'json'], { env: { CLOUDSDK_CONFIG: cfg, ...env } })).stdout).entries[0].identity;
    expect(await plan({})).toMatchObject({ project: 'work-project', region: 'europe-west3' });
    expect(await plan({ CLOUDSDK_ACTIVE_CONFIG_NAME: 'default' })).toMatchObject({ project: 'home-project', region: 'us-central1' });
    expect(await plan({ CLOUDSDK_CORE_PROJECT: 'env-project' })).toMatchObject({ project: 'env-project', region: 'europe-west3' });
    expect(await plan({ GOOGLE_CLOUD_PROJECT: 'gcp-project' })).toMatchObject({ project: 'gcp-project' });
  });

  it('watch pinned with --project refuses a manifest that names another project, and applies nothing', async () => {
    h.write('pinned-watch/ok.yaml', serviceYaml('pinned-ok', { project: 'team-project' }));
    h.write('pinned-watch/other.yaml', serviceYaml('pinned-other', { project: 'other-team' }));
    const w = startCli(['watch', '-f', 'pinned-watch', '--project', 'team-project', '--log-format', 'json'], { env: { RUNCTL_EMULATOR_HOST: h.emu.grpc, CLOUDSDK_CONFIG: process.env.CLOUDSDK_CONFIG! }, cwd: h.dir });
    try {
      const bad = await w.waitForRecord((r) => r.severity === 'ERROR' && Array.isArray(r.diagnostics));
      expect(bad.diagnostics).toEqual([expect.stringMatching(/^pinned-watch\/other\.yaml:\d+:\d+: Service\/pinned-other: spec\.project: .*"other-team".*"team-project".*\[Usage\]$/)]);
      expect(await exists('projects/team-project/locations/europe-north1/services/pinned-ok')).toBe(false);
      expect(await exists('projects/other-team/locations/europe-north1/services/pinned-other')).toBe(false);
    } finally {
      expect(await w.stop()).toBe(0);
    }
  });
});
