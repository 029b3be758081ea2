/**
 * `--prune` deletes only live resources carrying this set's ownership labels that the
 * manifests no longer name — never an unlabelled resource, one of another set or of
 * another tool, even when the manifests are empty; and an empty manifest set with
 * `--prune` is refused without `--yes`, even on a terminal.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../helpers/harness';

const PROJECT = 'local-project';
const REGIONS = ['europe-west1', 'europe-west2', 'europe-west3', 'europe-west4', 'europe-west6', 'us-east1', 'us-east4', 'us-west1', 'asia-east1', 'asia-northeast1'];

/** Who a live resource belongs to. */
type Owner = 'ours' | 'none' | 'other-set' | 'other-tool';
const LABELS: Record<Owner, Record<string, string>> = {
  ours: { 'managed-by': 'runctl', 'runctl-set': 'default' },
  none: {},
  'other-set': { 'managed-by': 'runctl', 'runctl-set': 'staging' },
  'other-tool': { 'managed-by': 'terraform' },
};

describe('--prune', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
    // Buckets runctl never made: no labels, and another tool's.
    await h.clients.rest('https://storage.googleapis.com', { method: 'POST', path: `/storage/v1/b?project=${PROJECT}`, body: { name: 'bare-bucket' } });
    await h.clients.rest('https://storage.googleapis.com', { method: 'POST', path: `/storage/v1/b?project=${PROJECT}`, body: { name: 'tf-bucket', labels: LABELS['other-tool'] } });
  });
  afterAll(async () => h?.close());

  const parent = (region: string) => `projects/${PROJECT}/locations/${region}`;
  async function create(region: string, name: string, owner: Owner): Promise<void> {
    const [op] = await h.clients.runServices().createService({ parent: parent(region), serviceId: name, service: { labels: LABELS[owner], template: { containers: [{ image: `gcr.io/${PROJECT}/${name}:1` }] } } });
    await op.promise();
  }
  async function live(region: string): Promise<string[]> {
    const [list] = await h.clients.runServices().listServices({ parent: parent(region), pageSize: 1000 });
    return list.map((s: any) => String(s.name).split('/').pop()!).sort();
  }
  async function buckets(): Promise<string[]> {
    const [list] = await h.clients.storage().getBuckets();
    return list.map((b) => b.name).sort();
  }
  function manifestDir(name: string, region: string, services: string[]): string {
    const dir = path.join(h.dir, name);
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir, { recursive: true });
    const docs = services.map((s) =>
      JSON.stringify({ apiVersion: 'runctl.dev/v1alpha1', kind: 'Service', metadata: { name: s }, spec: { region, image: `gcr.io/${PROJECT}/${s}:1` } }),
    );
    if (docs.length) fs.writeFileSync(path.join(dir, 'services.yaml'), docs.join('\n---\n'));
    return dir;
  }

  it('deletes exactly the resources of the set that the manifests no longer name', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.constantFrom<Owner>('ours', 'none', 'other-set', 'other-tool'), { minLength: 1, maxLength: 6 }),
        fc.array(fc.boolean(), { minLength: 6, maxLength: 6 }),
        async (owners, keep) => {
          const region = REGIONS[run++ % REGIONS.length];
          const names = owners.map((o, i) => `p${run}-${o}-${i}`);
          await Promise.all(names.map((n, i) => create(region, n, owners[i])));
          // The manifests name some of our resources (possibly none at all).
          const named = names.filter((n, i) => owners[i] === 'ours' && keep[i]);
          const dir = manifestDir(`prune-${run}`, region, named);
          const r = await h.cli(['apply', '--prune', '--yes', '--region', region, '-f', dir]);
          expect(r.stderr).not.toMatch(/\n\s+at /);
          expect(r.code, r.stderr).toBe(0);
          const expected = names.filter((n, i) => owners[i] !== 'ours' || keep[i]).sort();
          expect(await live(region)).toEqual(expected);
          expect(await buckets()).toEqual(expect.arrayContaining(['bare-bucket', 'tf-bucket']));
        },
      ),
      { numRuns: 10 },
    );
  });

  it('with an empty manifest set, refuses without --yes (even when a terminal could ask) and deletes nothing', async () => {
    const region = 'me-west1';
    await create(region, 'e-ours', 'ours');
    await create(region, 'e-bare', 'none');
    const empty = manifestDir('empty', region, []);
    await h.resetStats();
    for (const confirm of [undefined, async () => true]) {
      const r = await h.cli(['apply', '--prune', '--region', region, '-f', empty], { confirm });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/--yes/);
      expect(r.stderr).toMatch(/\[Refused\]/);
    }
    expect((await h.stats()).writes).toBe(0);
    expect(await live(region)).toEqual(['e-bare', 'e-ours']);

    const yes = await h.cli(['apply', '--prune', '--yes', '--region', region, '-f', empty]);
    expect(yes.code, yes.stderr).toBe(0);
    expect(await live(region)).toEqual(['e-bare']);
    expect(await buckets()).toEqual(expect.arrayContaining(['bare-bucket', 'tf-bucket']));
  });
});
