/**
 * Every region is seen: `get`, `--prune` and `rollout` find a project's Cloud Run regions
 * with Locations.ListLocations (those labelled `initialized`) and list services in each,
 * so a set's resources are found wherever they are, including a region no manifest names
 * any more. (ListServices refuses the `locations/-` wildcard, as Google's API does.)
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serviceExists, serviceYaml, startHarness, type Harness } from '../helpers/harness';

const MANIFESTS = path.resolve(__dirname, '../../manifests');

describe('every region', () => {
  let h: Harness;
  const exists = (name: string) => serviceExists(h, name);

  const initializedRegions = async () => {
    const out: string[] = [];
    for await (const l of h.clients.runServices().listLocationsAsync({ name: 'projects/local-project' }, { autoPaginate: false })) if (l.labels?.initialized) out.push(l.locationId!);
    return out;
  };

  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => h?.close());

  it('get services right after the quick start lists them, wherever they run', async () => {
    const dir = path.join(h.dir, 'quick');
    fs.cpSync(MANIFESTS, dir, { recursive: true });
    expect((await h.cli(['apply', '-f', dir])).code).toBe(0);
    const services = await h.cli(['get', 'services']);
    expect(services.code).toBe(0);
    for (const name of ['gradio', 'jokes', 'jokes-api', 'nightly-report']) expect(services.stdout).toMatch(new RegExp(`^${name}\\s+Available\\s+set:default\\s+europe-north1\\s`, 'm'));
    const models = await h.cli(['get', 'gpumodels']);
    expect(models.stdout).toMatch(/^ollama-gemma\s+Available\s+set:default\s+europe-west4\s/m);
    // The same with -f: exactly what the manifests name, every kind, as Kind/name.
    const named = await h.cli(['get', '-f', dir]);
    expect(named.code).toBe(0);
    for (const key of ['Service/jokes', 'GpuModel/ollama-gemma', 'LoadBalancer/gradio-lb', 'Slo/jokes-availability', 'Policy/default', 'Volume/gradio-data']) expect(named.stdout).toContain(key);
    const json = JSON.parse((await h.cli(['get', 'service', '-f', path.join(dir, 'jokes.yaml'), '-o', 'json'])).stdout);
    expect(json.map((d: any) => `${d.kind}/${d.metadata.name}`)).toEqual(['Service/jokes']);
  });

  it('get -f names a resource that does not exist: NotFound, exit 1, the others still shown', async () => {
    h.write('partial/a.yaml', serviceYaml('jokes'));
    h.write('partial/b.yaml', serviceYaml('never-applied', { region: 'asia-south1' }));
    const r = await h.cli(['get', '-f', path.join(h.dir, 'partial')]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^Service\/jokes\s+Available/m);
    expect(r.stderr).toMatch(/Service\/never-applied not found in project local-project region asia-south1 \[NotFound\]/);
  });

  it('apply --prune and diff --prune find a removed manifest in a region no other manifest names', async () => {
    const dir = path.join(h.dir, 'fleet');
    h.write('fleet/north.yaml', serviceYaml('north', { region: 'europe-north1' }, { labels: { fleet: 'x' } }));
    h.write('fleet/east.yaml', serviceYaml('east', { region: 'us-east1', image: 'us-east1-docker.pkg.dev/p/r/east:1' }));
    expect((await h.cli(['apply', '-f', dir, '--set', 'fleet'])).code).toBe(0);
    expect(await exists('projects/local-project/locations/us-east1/services/east')).toBe(true);

    // Without --prune a plan lists only the region its manifests name; no region walk.
    await h.resetStats();
    expect((await h.cli(['diff', '-f', dir, '--set', 'fleet'])).code).toBe(0);
    let calls = (await h.stats()).calls;
    expect(calls['Locations.ListLocations']).toBeUndefined();
    expect(calls['Services.ListServices']).toBe(2);

    fs.rmSync(path.join(dir, 'east.yaml'));
    await h.resetStats();
    const diff = await h.cli(['diff', '-f', dir, '--prune', '--set', 'fleet']);
    expect(diff.code).toBe(2);
    expect(diff.stdout).toContain('Service/east');
    // --prune: one ListLocations per API whose kinds are regional and have no all-regions
    // list - Cloud Run's (Services, GpuModels, Schedules share it) and Serverless VPC
    // Access's (VpcConnectors) - then one list per initialized region (the manifest's own
    // region shares the cached list the plan read).
    calls = (await h.stats()).calls;
    expect(calls['Locations.ListLocations']).toBe(2);
    const locations = await initializedRegions();
    expect(locations).toContain('us-east1');
    expect(calls['Services.ListServices']).toBe(locations.length);

    await h.resetStats();
    const refused = await h.cli(['apply', '-f', dir, '--prune', '--set', 'fleet']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('Service/east (local-project/us-east1)');
    expect(refused.stderr).toMatch(/\[Refused\]/);
    expect((await h.stats()).writes).toBe(0);

    let question = '';
    const asked = await h.cli(['apply', '-f', dir, '--prune', '--set', 'fleet'], { confirm: async (q) => ((question = q), true) });
    expect(asked.code).toBe(0);
    expect(question).toContain('Service/east (local-project/us-east1)');
    expect(await exists('projects/local-project/locations/us-east1/services/east')).toBe(false);
    expect(await exists('projects/local-project/locations/europe-north1/services/north')).toBe(true);
  });

  it('rollout status finds a Service by name in any region, and asks for --region when the name is in two', async () => {
    const status = await h.cli(['rollout', 'status', 'north']);
    expect(status.stderr).toBe('');
    expect(status.code).toBe(0);
    expect(status.stdout).toContain('[local-project/europe-north1]');

    h.write('twin/a.yaml', serviceYaml('twin', { region: 'europe-west1' }));
    h.write('twin/b.yaml', serviceYaml('twin', { region: 'us-west1' }));
    expect((await h.cli(['apply', '-f', path.join(h.dir, 'twin/a.yaml'), '--set', 'twin-a'])).code).toBe(0);
    expect((await h.cli(['apply', '-f', path.join(h.dir, 'twin/b.yaml'), '--set', 'twin-b'])).code).toBe(0);
    const ambiguous = await h.cli(['rollout', 'status', 'twin']);
    expect(ambiguous.code).toBe(1);
    expect(ambiguous.stderr).toMatch(/europe-west1, us-west1.*\[Usage\]/);
    const chosen = await h.cli(['rollout', 'status', 'twin', '--region', 'us-west1']);
    expect(chosen.code).toBe(0);
    expect(chosen.stdout).toContain('[local-project/us-west1]');
  });
});
