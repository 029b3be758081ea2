/**
 * What a Service manifest means, as a user meets it through the CLI against a
 * standalone emulator: the README's first suggested edit applies; a template change
 * under a pinned revision name is refused at plan time with file:line; leaving out
 * spec.traffic means 100% to the latest ready revision; a canary that failed and rolled
 * back is not reported as "matches the manifests".
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serviceYaml, startHarness, type Harness } from '../helpers/harness';
import { advancing, canaryYaml, latestRevision, PARENT, split } from './rollout-helpers';

const REPO = path.resolve(__dirname, '../..');
const REGION = 'europe-north1';
const nameOf = (s: string) => `projects/local-project/locations/${REGION}/services/${s}`;

/** 1-based line and column of the first occurrence of `needle` in `text`. */
function lineOf(text: string, needle: string): { line: number; col: number } {
  const i = text.indexOf(needle);
  const before = text.slice(0, i).split('\n');
  return { line: before.length, col: before[before.length - 1].length + 1 };
}

describe('Service semantics', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => h?.close());

  const live = async (name: string) => (await h.clients.runServices().getService({ name: nameOf(name) }))[0] as any;

  it("the README's suggested edit (scaling.maxInstances in manifests/jokes.yaml) applies cleanly", async () => {
    const dir = path.join(h.dir, 'readme');
    fs.cpSync(path.join(REPO, 'manifests'), dir, { recursive: true });
    const first = await h.cli(['apply', '-f', dir]);
    expect(first.code, first.stdout + first.stderr).toBe(0);

    const file = path.join(dir, 'jokes.yaml');
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('maxInstances: 5', 'maxInstances: 8'));
    const diff = await h.cli(['diff', '-f', dir]);
    expect(diff.code, diff.stdout).toBe(2);
    expect(diff.stdout).toContain('~ spec.scaling.maxInstances: 5 → 8');
    expect(diff.stdout).toContain('creates a new revision (template fields changed: scaling)');

    const applied = await h.cli(['apply', '-f', dir]);
    expect(applied.code, applied.stdout + applied.stderr).toBe(0);
    expect(applied.stdout).toContain('0 failed, 0 skipped');
    expect((await live('jokes')).template.scaling.maxInstanceCount).toBe(8);
    expect((await h.cli(['diff', '-f', dir])).code).toBe(0);
  });

  it('a template change under a pinned revision name is refused at plan time with file:line; only that Service and its dependents are held back', async () => {
    const api = (spec: Record<string, unknown>) => serviceYaml('pinned', { revision: 'pinned-v1', ...spec });
    const slo = [
      'apiVersion: runctl.dev/v1alpha1',
      'kind: Slo',
      'metadata: {name: pinned-availability}',
      'spec:',
      '  service: pinned',
      '  availability: {goal: 0.99, window: 1d}',
      '',
    ].join('\n');
    h.write('pinned/slo.yaml', slo);
    h.write('pinned/other.yaml', serviceYaml('bystander'));
    const apiFile = h.write('pinned/api.yaml', api({ scaling: { maxInstances: 3 } }));
    const dir = path.dirname(apiFile);
    const first = await h.cli(['apply', '-f', dir]);
    expect(first.code, first.stdout + first.stderr).toBe(0);

    const edited = api({ scaling: { maxInstances: 4 } });
    fs.writeFileSync(apiFile, edited);
    h.write('pinned/other.yaml', serviceYaml('bystander', { image: 'europe-north1-docker.pkg.dev/p/r/bystander:2' }));
    const at = lineOf(edited, 'pinned-v1');
    const where = `${apiFile}:${at.line}:${at.col}: Service/pinned: spec.revision:`;

    const diff = await h.cli(['diff', '-f', dir]);
    expect(diff.code).toBe(1);
    expect(diff.stdout).toContain('! Service/pinned');
    expect(diff.stdout).toContain(where);
    expect(diff.stdout).toContain('change spec.revision or remove it');
    expect(diff.stdout).toContain('~ Service/bystander');

    await h.resetStats();
    const applied = await h.cli(['apply', '-f', dir]);
    expect(applied.code).toBe(1);
    expect(applied.stdout).toContain(`✗ Service/pinned: ${where}`);
    expect(applied.stdout).toMatch(/○ Slo\/pinned-availability: skipped: dependency Service\/pinned failed/);
    // Nothing was sent for the refused Service; the independent one was updated.
    expect((await h.stats()).calls['Services.UpdateService']).toBe(1);
    expect((await live('pinned')).template.scaling.maxInstanceCount).toBe(3);
    expect((await live('bystander')).template.containers[0].image).toBe('europe-north1-docker.pkg.dev/p/r/bystander:2');

    // The fix the message names works: remove spec.revision.
    fs.writeFileSync(apiFile, serviceYaml('pinned', { scaling: { maxInstances: 4 } }));
    const fixed = await h.cli(['apply', '-f', dir]);
    expect(fixed.code, fixed.stdout + fixed.stderr).toBe(0);
    expect((await live('pinned')).template.scaling.maxInstanceCount).toBe(4);
  });

  it("a pin set back to an earlier revision's name is refused when that revision's template differs, and accepted when it matches", async () => {
    const yaml = (rev: string, max: number) => serviceYaml('back', { revision: rev, scaling: { maxInstances: max } });
    const file = h.write('back/svc.yaml', yaml('back-v1', 2));
    expect((await h.cli(['apply', '-f', file])).code).toBe(0);
    h.write('back/svc.yaml', yaml('back-v2', 3));
    expect((await h.cli(['apply', '-f', file])).code).toBe(0);
    // v1 exists with maxInstances 2: naming it again with 4 is Cloud Run's 409, caught in the plan.
    h.write('back/svc.yaml', yaml('back-v1', 4));
    const diff = await h.cli(['diff', '-f', file]);
    expect(diff.code, diff.stdout).toBe(1);
    expect(diff.stdout).toMatch(/svc\.yaml:\d+:\d+: Service\/back: spec\.revision: spec\.revision names "back-v1", an earlier revision of this service with a different template \(scaling\)/);
    await h.resetStats();
    expect((await h.cli(['apply', '-f', file])).code).toBe(1);
    expect((await h.stats()).writes).toBe(0);
    // Naming the new template v3 goes through.
    h.write('back/svc.yaml', yaml('back-v3', 4));
    const ok = await h.cli(['apply', '-f', file]);
    expect(ok.code, ok.stdout + ok.stderr).toBe(0);
    expect(String((await live('back')).latestCreatedRevision).split('/').pop()).toBe('back-v3');
    // Naming v1 with exactly v1's template is no collision: the plan is an ordinary update.
    h.write('back/svc.yaml', yaml('back-v1', 2));
    const back = await h.cli(['diff', '-f', file]);
    expect(back.code, back.stdout).toBe(2);
    expect(back.stdout).toContain('~ Service/back');
    expect(back.stdout).not.toContain('earlier revision');
  });

  it('a paused Service with a refused template change is reported as paused, with the refusal as a note', async () => {
    const file = h.write('paused/svc.yaml', serviceYaml('held', { revision: 'held-v1', scaling: { maxInstances: 2 } }));
    expect((await h.cli(['apply', '-f', file])).code).toBe(0);
    h.write('paused/svc.yaml', serviceYaml('held', { revision: 'held-v1', scaling: { maxInstances: 3 } }, { annotations: { 'runctl.dev/paused': 'true' } }));
    const diff = await h.cli(['diff', '-f', file]);
    // A paused resource is never written: the plan shows it, as any paused change (exit 0).
    expect(diff.code, diff.stdout).toBe(0);
    expect(diff.stdout).toContain('(paused)');
    expect(diff.stdout).toContain('when unpaused, would be refused: spec.revision:');
    const applied = await h.cli(['apply', '-f', file]);
    expect(applied.code, applied.stdout).toBe(0);
  });

  it('without spec.traffic, the latest ready revision takes 100%: a release that drops a pinned split shows in diff and apply moves traffic', async () => {
    const file = h.write('traffic/rel.yaml', serviceYaml('rel', { image: 'europe-north1-docker.pkg.dev/p/r/rel:1' }));
    expect((await h.cli(['apply', '-f', file])).code).toBe(0);
    const first = String((await live('rel')).latestReadyRevision).split('/').pop()!;
    // Release 2 keeps everything on revision 1 (tag good), the new one tagged next at 0%.
    h.write('traffic/rel.yaml', serviceYaml('rel', {
      image: 'europe-north1-docker.pkg.dev/p/r/rel:2',
      traffic: [{ tag: 'good', revision: first, percent: 100 }, { tag: 'next', latest: true, percent: 0 }],
    }));
    expect((await h.cli(['apply', '-f', file])).code).toBe(0);
    // Release 3 drops traffic: the documented default is 100% to the latest revision.
    h.write('traffic/rel.yaml', serviceYaml('rel', { image: 'europe-north1-docker.pkg.dev/p/r/rel:3' }));
    const diff = await h.cli(['diff', '-f', file]);
    expect(diff.code).toBe(2);
    expect(diff.stdout).toMatch(/spec\.traffic\.0\.revision: "rel-/);
    expect(diff.stdout).toContain('+ spec.traffic.0.latest: true');
    expect(diff.stdout).toContain('- spec.traffic.1: {"tag":"next","latest":true,"percent":0}');
    const applied = await h.cli(['apply', '-f', file]);
    expect(applied.code, applied.stdout + applied.stderr).toBe(0);
    const svc = await live('rel');
    const third = String(svc.latestReadyRevision).split('/').pop();
    // All traffic to the latest revision: a LATEST entry names no revision (as Google's
    // trafficStatuses do), and the latest ready one is release 3's.
    expect(third).toMatch(/^rel-00003-/);
    expect((svc.trafficStatuses as any[]).map((t) => `${t.type}:${t.revision ?? ''}:${t.percent}`)).toEqual(['TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST::100']);
    const again = await h.cli(['diff', '-f', file]);
    expect(again.code, again.stdout).toBe(0);

    // A split left to others (ignore-changes) is not a difference.
    h.write('traffic/rel.yaml', serviceYaml('rel', {
      image: 'europe-north1-docker.pkg.dev/p/r/rel:3',
      traffic: [{ tag: 'old', revision: first, percent: 50 }, { latest: true, percent: 50 }],
    }));
    expect((await h.cli(['apply', '-f', file])).code).toBe(0);
    h.write('traffic/rel.yaml', serviceYaml('rel', { image: 'europe-north1-docker.pkg.dev/p/r/rel:3' }, { annotations: { 'runctl.dev/ignore-changes': 'spec.traffic' } }));
    const ignored = await h.cli(['diff', '-f', file]);
    expect(ignored.code, ignored.stdout).toBe(0);
  });

  it('after a canary fails and rolls back, diff does not say the live state matches; apply writes nothing', async () => {
    const file = h.write('canary/shop.yaml', canaryYaml('shop', 'shop:1'));
    // Earlier cases made repositories in this project, so its images must have one too.
    const [op] = await h.clients.artifactRegistry().createRepository({ parent: PARENT, repositoryId: 'shop', repository: { format: 'DOCKER' } });
    await op.promise();
    const applied = await h.cli(['apply', '-f', file]);
    expect(applied.code, applied.stdout + applied.stderr).toBe(0);
    const good = await latestRevision(h, 'shop');
    h.write('canary/shop.yaml', canaryYaml('shop', 'shop-failing:2'));
    const failed = await advancing(h, h.cli(['apply', '-f', file]));
    expect(failed.code).toBe(1);
    const bad = await latestRevision(h, 'shop');
    expect(await split(h, 'shop')).toEqual([`${bad}:0:next`, `${good}:100:good`].sort());

    const diff = await h.cli(['diff', '-f', file]);
    expect(diff.stdout).not.toContain('The live state matches the manifests');
    expect(diff.stdout).toContain('= Service/shop');
    expect(diff.stdout).toContain(`the manifest's template (revision ${bad}) serves no traffic`);
    expect(diff.code).toBe(2);

    await h.resetStats();
    const again = await h.cli(['apply', '-f', file]);
    expect(again.code).toBe(0);
    expect((await h.stats()).writes).toBe(0);
  });
});
