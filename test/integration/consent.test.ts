/**
 * Consent for real clouds: with GOOGLE_CLOUD_PROJECT exported (as Cloud Shell does) the
 * quick start's `apply` targets real Google Cloud, and without a terminal it is refused
 * with --yes as the way out, before any API call. On a terminal the plan is shown and
 * the user asked; emulator targets never ask.
 *
 * No credentials exist here and nothing may probe a metadata server: the refusal must
 * come first (an API call would fail with a credentials error instead).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { askActionConsent, askConsent, requireConsentPossible } from '../../src/cli/consent';
import type { PlanEntry } from '../../src/engine/plan';
import { serviceYaml, startHarness, type Harness } from '../helpers/harness';

const MANIFESTS = path.resolve(__dirname, '../../manifests');
/** No Application Default Credentials and no metadata server to find. */
const NO_CREDENTIALS = { GOOGLE_APPLICATION_CREDENTIALS: '/nonexistent/runctl-test-adc.json', METADATA_SERVER_DETECTION: 'none', GCE_METADATA_HOST: '127.0.0.1:1' };
/** A shell with a real project exported and no emulator. */
const CLOUD_SHELL = { RUNCTL_EMULATOR_HOST: '', GOOGLE_CLOUD_PROJECT: 'my-real-project', ...NO_CREDENTIALS };

describe('consent for real clouds (CLI)', () => {
  let h: Harness;
  let dir: string;
  const saved: Record<string, string | undefined> = {};
  beforeAll(async () => {
    // google-auth-library reads the process environment, not the CLI's.
    for (const [k, v] of Object.entries(NO_CREDENTIALS)) {
      saved[k] = process.env[k];
      process.env[k] = v;
    }
    h = await startHarness();
    dir = path.join(h.dir, 'manifests');
    fs.cpSync(MANIFESTS, dir, { recursive: true });
  });
  afterAll(async () => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    await h?.close();
  });

  it.each([
    { verb: 'apply', args: ['apply', '-f', 'manifests'] },
    { verb: 'apply --prune', args: ['apply', '-f', 'manifests', '--prune'] },
    { verb: 'delete', args: ['delete', '-f', 'manifests'] },
    { verb: 'rollout promote', args: ['rollout', 'promote', 'jokes'] },
    { verb: 'rollout undo', args: ['rollout', 'undo', 'jokes', '-f', 'manifests'] },
  ])('$verb to real Google Cloud without a terminal is refused before any API call', async ({ args }) => {
    const r = await h.cli(args, { env: CLOUD_SHELL });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/real Google Cloud project my-real-project: re-run with --yes .*\[Refused\]\n$/);
    expect(r.stderr.split('\n').filter(Boolean)).toHaveLength(1);
    expect(r.stdout).toBe('');
  });

  it('--project alone selects real Google Cloud, and is refused the same way', async () => {
    const r = await h.cli(['apply', '-f', 'manifests', '--project', 'my-real-project'], { env: { RUNCTL_EMULATOR_HOST: '', ...NO_CREDENTIALS } });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/\[Refused\]/);
  });

  it('emulator targets never ask', async () => {
    h.write('quiet/svc.yaml', serviceYaml('quiet'));
    const questions: string[] = [];
    const confirm = async (q: string) => (questions.push(q), false);
    expect((await h.cli(['apply', '-f', 'quiet'], { confirm })).code).toBe(0);
    // Nothing to promote here (no rollout recorded): it fails on that, without a question.
    expect((await h.cli(['rollout', 'promote', 'quiet'], { confirm })).stderr).not.toMatch(/--yes/);
    expect((await h.cli(['delete', '-f', 'quiet', '--yes'], { confirm })).code).toBe(0);
    expect(questions).toEqual([]);
  });
});

describe('consent for real clouds (library)', () => {
  const google = { mode: 'google' as const, project: 'my-real-project' };
  const entry = (key: string, action: PlanEntry['action'], project = 'my-real-project') =>
    ({ key, action, identity: { project, region: 'europe-north1', name: key, fullName: key } }) as unknown as PlanEntry;
  const plan = { entries: [entry('Service/a', 'create'), entry('Service/b', 'update', 'other-project'), entry('Service/c', 'delete'), entry('Slo/d', 'noop')] };

  it('on a terminal, asks once for the whole plan, naming the projects and what it does', async () => {
    const asked: string[] = [];
    const ok = await askConsent(plan, google, {}, { confirm: async (q) => (asked.push(q), true) }, 'apply');
    expect(ok).toBe(true);
    expect(asked).toHaveLength(1);
    expect(asked[0]).toContain('Google Cloud projects my-real-project, other-project');
    expect(asked[0]).toContain('1 to create, 1 to delete, 1 to update');
  });

  it.each([
    { reason: 'an emulator target', info: { mode: 'emulator' as const }, flags: {}, entries: plan.entries },
    { reason: '--yes given', info: google, flags: { yes: true }, entries: plan.entries },
    { reason: 'a plan without writes', info: google, flags: {}, entries: [entry('Slo/d', 'noop'), entry('Service/e', 'blocked')] },
  ])('does not ask with $reason', async ({ info, flags, entries }) => {
    let asked = 0;
    expect(await askConsent({ entries }, info, flags, { confirm: async () => (asked++, true) }, 'apply')).toBe(false);
    expect(asked).toBe(0);
  });

  it('an answer of no, or no terminal, is Refused', async () => {
    await expect(askConsent(plan, google, {}, { confirm: async () => false }, 'apply')).rejects.toMatchObject({ code: 'Refused' });
    await expect(askConsent(plan, google, {}, {}, 'apply')).rejects.toMatchObject({ code: 'Refused' });
    await expect(askActionConsent('promote', google, 'my-real-project', {}, { confirm: async () => false }, 'rollout promote')).rejects.toMatchObject({ code: 'Refused' });
    expect(() => requireConsentPossible(google, {}, {}, 'delete')).toThrow(expect.objectContaining({ code: 'Refused' }));
    expect(() => requireConsentPossible(google, {}, { confirm: async () => true }, 'delete')).not.toThrow();
    expect(() => requireConsentPossible(google, { yes: true }, {}, 'delete')).not.toThrow();
  });
});
