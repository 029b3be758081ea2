/**
 * Target selection and location defaults (src/lib/target.ts, src/gcp/gcloud-config.ts):
 * flags and environment choose the target; the gcloud configuration only supplies
 * default project and region, and never makes real Google Cloud the target.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { describeTarget } from '../../src/lib/target';
import { parseIni, readGcloudDefaults } from '../../src/gcp/gcloud-config';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'runctl-gcloud-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

function configDir(name: string, files: Record<string, string>): string {
  const dir = path.join(root, name);
  for (const [file, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.writeFileSync(path.join(dir, file), text);
  }
  return dir;
}

describe('gcloud configuration', () => {
  const cfg = configDir('cfg', {
    active_config: 'work\n',
    'configurations/config_default': '[core]\nproject = home-project\n',
    'configurations/config_work': '; a comment\n[core]\nproject = work-project\naccount = me@example.com\n\n[run]\nregion = europe-west3\n[compute]\nregion = us-east1\n',
  });

  it.each([
    { reason: 'the active configuration named in active_config', env: {}, want: { configuration: 'work', project: 'work-project', region: 'europe-west3' } },
    { reason: 'CLOUDSDK_ACTIVE_CONFIG_NAME picks another configuration', env: { CLOUDSDK_ACTIVE_CONFIG_NAME: 'default' }, want: { configuration: 'default', project: 'home-project', region: undefined } },
    { reason: 'CLOUDSDK_CORE_PROJECT overrides core/project', env: { CLOUDSDK_CORE_PROJECT: 'env-project' }, want: { configuration: 'work', project: 'env-project', region: 'europe-west3' } },
    { reason: 'a configuration that does not exist is no configuration', env: { CLOUDSDK_ACTIVE_CONFIG_NAME: 'gone' }, want: { configuration: 'gone', project: undefined, region: undefined } },
  ])('$reason', ({ env, want }) => {
    expect(readGcloudDefaults({ CLOUDSDK_CONFIG: cfg, ...env })).toEqual(want);
  });

  it('reads ~/.config/gcloud when CLOUDSDK_CONFIG is unset, and "default" without active_config', () => {
    const home = path.join(root, 'home');
    configDir('home/.config/gcloud', { 'configurations/config_default': '[core]\nproject = from-home\n' });
    expect(readGcloudDefaults({ HOME: home })).toEqual({ configuration: 'default', project: 'from-home', region: undefined });
  });

  it('parses sections and keys, skipping comments', () => {
    expect([...parseIni('# c\n[core]\nproject=p1\n[run]\n region : r1 \n')]).toEqual([
      ['core/project', 'p1'],
      ['run/region', 'r1'],
    ]);
  });
});

describe('describeTarget', () => {
  const cfg = configDir('target', { 'configurations/config_default': '[core]\nproject = my-real-project\n[run]\nregion = asia-east1\n' });
  const io = (env: Record<string, string>) => ({ env: { CLOUDSDK_CONFIG: cfg, ...env }, cwd: root });

  it('a gcloud project alone keeps the embedded emulator, with that project as the default', () => {
    const t = describeTarget({}, io({}));
    expect(t).toMatchObject({ mode: 'embedded', project: 'my-real-project', region: 'asia-east1' });
    expect(t.sources).toEqual({ project: 'gcloud configuration "default" (core/project)', region: 'gcloud configuration "default" (run/region)' });
  });

  it('GOOGLE_CLOUD_PROJECT or --project choose Google Cloud; RUNCTL_EMULATOR_HOST wins over both', () => {
    expect(describeTarget({}, io({ GOOGLE_CLOUD_PROJECT: 'gcp-project' }))).toMatchObject({ mode: 'google', project: 'gcp-project', sources: { project: 'GOOGLE_CLOUD_PROJECT' } });
    expect(describeTarget({ project: 'flag-project', region: 'us-east4' }, io({ GOOGLE_CLOUD_PROJECT: 'gcp-project', CLOUDSDK_RUN_REGION: 'us-west1' }))).toMatchObject({
      mode: 'google',
      project: 'flag-project',
      region: 'us-east4',
      flags: { project: 'flag-project', region: 'us-east4' },
    });
    expect(describeTarget({ project: 'flag-project' }, io({ RUNCTL_EMULATOR_HOST: '127.0.0.1:9' }))).toMatchObject({ mode: 'emulator', project: 'flag-project' });
  });

  it('CLOUDSDK_RUN_REGION ranks above gcloud run/region and below --region', () => {
    expect(describeTarget({}, io({ CLOUDSDK_RUN_REGION: 'us-west1' })).region).toBe('us-west1');
    expect(describeTarget({ region: 'us-east4' }, io({ CLOUDSDK_RUN_REGION: 'us-west1' })).region).toBe('us-east4');
  });
});
