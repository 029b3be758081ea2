/**
 * Conformance of the Cloud Run v1 domain mappings emulator through the unmodified
 * `@googleapis/run` v1 client: the regional endpoint chosen by Host, create/get/list/delete,
 * the DNS records, the conditions (RouteMissing, unverified domain, certificate), the
 * regions that offer mappings, and Domain Restricted Sharing on Cloud Run's SetIamPolicy.
 */
import { run, type run_v1 } from '@googleapis/run';
import { PassThroughClient } from 'google-auth-library';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../src/emulator/server';
import { Clients } from '../../src/gcp/clients';
import { run as runctl } from '../../src/cli/program';
import { spawn } from 'node:child_process';
import * as path from 'node:path';

/** The built CLI (`npm test` compiles first). */
const CLI = path.resolve(__dirname, '../../dist/src/cli/main.js');
import { emulatorStats, resetEmulatorStats } from '../helpers/emulator-admin';

const REGION = 'europe-west1';
const IMAGE = 'europe-west1-docker.pkg.dev/p/repo/jokes:1';

let emu: RunningEmulator;
let clients: Clients;

/** The official client pointed at the emulator as at `https://REGION-run.googleapis.com/`. */
function v1(region = REGION): run_v1.Run {
  // PassThroughClient is an AuthClient the Options type does not list (clients.ts passes it the same way).
  return run({ version: 'v1', rootUrl: `http://${emu.http}/`, auth: new PassThroughClient(), headers: { host: `${region}-run.googleapis.com` } } as unknown as run_v1.Options);
}

async function failure(p: Promise<unknown>): Promise<{ status: number; body: any }> {
  const err: any = await p.then(() => undefined, (e) => e);
  expect(err, 'expected the call to fail').toBeInstanceOf(Error);
  return { status: err.response?.status, body: err.response?.data };
}

async function service(id: string, region = REGION): Promise<void> {
  const [op] = await clients.runServices().createService({ parent: `projects/p/locations/${region}`, serviceId: id, service: { template: { containers: [{ image: IMAGE }] } } });
  await op.promise();
}

const mapping = (name: string, route: string, labels: Record<string, string> = {}): run_v1.Schema$DomainMapping => ({
  apiVersion: 'domains.cloudrun.com/v1',
  kind: 'DomainMapping',
  metadata: { name, namespace: 'p', labels },
  spec: { routeName: route },
});

const cond = (dm: run_v1.Schema$DomainMapping, type: string) => dm.status?.conditions?.find((c) => c.type === type);

beforeAll(async () => {
  emu = await startEmulator({ port: 0 });
  clients = new Clients({ mode: 'emulator', grpc: emu.grpc, http: emu.http });
  await service('jokes');
});
afterAll(async () => {
  await emu.stop();
});

describe('namespaces.domainmappings', () => {
  it('creates a mapping of a subdomain: a v1 object with a CNAME record and Ready conditions', async () => {
    const dm = v1().namespaces.domainmappings;
    const { data } = await dm.create({ parent: 'namespaces/p', requestBody: mapping('www.example.com', 'jokes', { team: 'a' }) });
    expect(data.apiVersion).toBe('domains.cloudrun.com/v1');
    expect(data.kind).toBe('DomainMapping');
    expect(data.metadata).toMatchObject({ name: 'www.example.com', generation: 1, labels: { team: 'a', 'cloud.googleapis.com/location': REGION } });
    expect(data.metadata?.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(data.metadata?.resourceVersion).toBeTruthy();
    expect(data.metadata?.creationTimestamp).toMatch(/Z$/);
    expect(data.spec).toEqual({ routeName: 'jokes', certificateMode: 'AUTOMATIC' });
    expect(data.status?.resourceRecords).toEqual([{ name: 'www', type: 'CNAME', rrdata: 'ghs.googlehosted.com.' }]);
    expect(data.status?.mappedRouteName).toBe('jokes');
    expect(data.status?.observedGeneration).toBe(1);
    expect(cond(data, 'Ready')?.status).toBe('True');
    expect(cond(data, 'DomainRoutable')?.status).toBe('True');
    expect(cond(data, 'CertificateProvisioned')?.status).toBe('True');
    const got = await dm.get({ name: 'namespaces/p/domainmappings/www.example.com' });
    expect(got.data.metadata?.uid).toBe(data.metadata?.uid);
  });

  it('an apex domain needs four A and four AAAA records', async () => {
    const { data } = await v1().namespaces.domainmappings.create({ parent: 'namespaces/p', requestBody: mapping('example.org', 'jokes') });
    const recs = data.status?.resourceRecords ?? [];
    expect(recs.filter((r) => r.type === 'A')).toHaveLength(4);
    expect(recs.filter((r) => r.type === 'AAAA')).toHaveLength(4);
    expect(recs.every((r) => r.name === undefined)).toBe(true);
  });

  it('a second create of the same domain is 409 ALREADY_EXISTS; a dry run stores nothing', async () => {
    const dm = v1().namespaces.domainmappings;
    const dup = await failure(dm.create({ parent: 'namespaces/p', requestBody: mapping('www.example.com', 'jokes') }));
    expect(dup.status).toBe(409);
    expect(dup.body.error.status).toBe('ALREADY_EXISTS');
    await dm.create({ parent: 'namespaces/p', dryRun: 'all', requestBody: mapping('dry.example.com', 'jokes') });
    expect((await failure(dm.get({ name: 'namespaces/p/domainmappings/dry.example.com' }))).status).toBe(404);
  });

  it('lists by region and label selector, with limit and continue', async () => {
    const dm = v1().namespaces.domainmappings;
    await dm.create({ parent: 'namespaces/p', requestBody: mapping('api.example.com', 'jokes', { team: 'b' }) });
    const all = (await dm.list({ parent: 'namespaces/p' })).data;
    expect(all.kind).toBe('DomainMappingList');
    expect(all.items?.map((i) => i.metadata?.name)).toEqual(['api.example.com', 'example.org', 'www.example.com']);
    expect((await dm.list({ parent: 'namespaces/p', labelSelector: 'team=a' })).data.items?.map((i) => i.metadata?.name)).toEqual(['www.example.com']);
    expect((await dm.list({ parent: 'namespaces/p', labelSelector: 'team in (a,b),team!=b' })).data.items).toHaveLength(1);
    expect((await dm.list({ parent: 'namespaces/p', labelSelector: '!team' })).data.items?.map((i) => i.metadata?.name)).toEqual(['example.org']);
    const first = (await dm.list({ parent: 'namespaces/p', limit: 2 })).data;
    expect(first.items).toHaveLength(2);
    const rest = (await dm.list({ parent: 'namespaces/p', limit: 2, continue: first.metadata?.continue ?? '' })).data;
    expect(rest.items?.map((i) => i.metadata?.name)).toEqual(['www.example.com']);
    // Another region is another endpoint with its own mappings.
    expect((await v1('us-central1').namespaces.domainmappings.list({ parent: 'namespaces/p' })).data.items ?? []).toEqual([]);
  });

  it('deletes with a Kubernetes Status; a second delete is 404', async () => {
    const dm = v1().namespaces.domainmappings;
    const { data } = await dm.delete({ name: 'namespaces/p/domainmappings/api.example.com' });
    expect(data).toMatchObject({ kind: 'Status', status: 'Success', details: { name: 'api.example.com', kind: 'domainmappings' } });
    const again = await failure(dm.delete({ name: 'namespaces/p/domainmappings/api.example.com' }));
    expect(again.status).toBe(404);
    expect(again.body.error.status).toBe('NOT_FOUND');
  });

  it('a mapping to a route that does not exist is Ready False (RouteMissing) until the service appears', async () => {
    const dm = v1().namespaces.domainmappings;
    const { data } = await dm.create({ parent: 'namespaces/p', requestBody: mapping('late.example.com', 'late') });
    expect(cond(data, 'Ready')).toMatchObject({ status: 'False', reason: 'RouteMissing' });
    expect(data.status?.resourceRecords).toBeUndefined();
    await service('late');
    const got = (await dm.get({ name: 'namespaces/p/domainmappings/late.example.com' })).data;
    expect(cond(got, 'Ready')?.status).toBe('True');
  });

  it('is refused (UNIMPLEMENTED) in a region without domain mappings', async () => {
    await service('jokes', 'europe-west2');
    const err = await failure(v1('europe-west2').namespaces.domainmappings.create({ parent: 'namespaces/p', requestBody: mapping('uk.example.com', 'jokes') }));
    expect(err.status).toBe(501);
    expect(err.body.error).toMatchObject({ status: 'UNIMPLEMENTED', message: 'Creating domain mappings is not allowed in europe-west2.' });
  });

  it('refuses a call sent to the global endpoint, and invalid objects', async () => {
    const global = run({ version: 'v1', rootUrl: `http://${emu.http}/`, auth: new PassThroughClient() } as unknown as run_v1.Options);
    expect((await failure(global.namespaces.domainmappings.list({ parent: 'namespaces/p' }))).status).toBe(400);
    const dm = v1().namespaces.domainmappings;
    expect((await failure(dm.create({ parent: 'namespaces/p', requestBody: { metadata: { name: 'Not A Domain' }, spec: { routeName: 'jokes' } } }))).status).toBe(400);
    expect((await failure(dm.create({ parent: 'namespaces/p', requestBody: { metadata: { name: 'x.example.com' }, spec: {} } }))).status).toBe(400);
  });

  it('projects.locations.domainmappings takes the region from the path', async () => {
    const global = run({ version: 'v1', rootUrl: `http://${emu.http}/`, auth: new PassThroughClient() } as unknown as run_v1.Options);
    const { data } = await global.projects.locations.domainmappings.get({ name: `projects/p/locations/${REGION}/domainmappings/www.example.com` });
    expect(data.metadata?.name).toBe('www.example.com');
  });

  it('runctl\'s client (clients.runDomainMappings) reaches the regional endpoint; calls are counted', async () => {
    await resetEmulatorStats(emu.http);
    const { data } = await clients.runDomainMappings(REGION).list({ parent: 'namespaces/p' });
    expect(data.items?.length).toBeGreaterThan(0);
    const stats = await emulatorStats(emu.http);
    expect(stats.calls['DomainMappings.ListDomainMappings']).toBe(1);
    expect(stats.writes).toBe(0);
  });
});

describe('verified domains', () => {
  it('with a verified list set, a mapping of another domain is Ready False with Google\'s message', async () => {
    const put = await fetch(`http://${emu.http}/__emulator/verified-domains`, { method: 'PUT', body: JSON.stringify({ domains: ['example.com'] }) });
    expect(put.status).toBe(200);
    try {
      const dm = v1().namespaces.domainmappings;
      const ok = (await dm.create({ parent: 'namespaces/p', requestBody: mapping('shop.example.com', 'jokes') })).data;
      expect(cond(ok, 'Ready')?.status).toBe('True');
      const { data } = await dm.create({ parent: 'namespaces/p', requestBody: mapping('www.other.net', 'jokes') });
      expect(cond(data, 'Ready')?.status).toBe('False');
      expect(cond(data, 'Ready')?.message).toMatch(/^Caller is not authorized to administer the domain 'www\.other\.net'/);
    } finally {
      await fetch(`http://${emu.http}/__emulator/verified-domains`, { method: 'DELETE' });
    }
  });
});

describe('Domain Restricted Sharing (org policy)', () => {
  const name = `projects/p/locations/${REGION}/services/jokes`;
  const setPolicy = (members: string[]) => clients.runServices().setIamPolicy({ resource: name, policy: { bindings: [{ role: 'roles/run.invoker', members }] } });

  it('refuses allUsers and allAuthenticatedUsers with FAILED_PRECONDITION while enforced; other members pass', async () => {
    const put = await fetch(`http://${emu.http}/__emulator/org-policies`, { method: 'PUT', body: JSON.stringify({ policies: ['domain-restricted-sharing'] }) });
    expect(await put.json()).toEqual({ policies: ['domain-restricted-sharing'] });
    try {
      for (const m of ['allUsers', 'allAuthenticatedUsers']) {
        const err: any = await setPolicy([m]).then(() => undefined, (e) => e);
        expect(err?.code, String(err?.details ?? err)).toBe(9); // FAILED_PRECONDITION
        expect(String(err.details)).toContain('One or more users named in the policy do not belong to a permitted customer');
      }
      await setPolicy(['serviceAccount:a@p.iam.gserviceaccount.com']);
    } finally {
      await fetch(`http://${emu.http}/__emulator/org-policies`, { method: 'PUT', body: JSON.stringify({ policies: [] }) });
    }
    await setPolicy(['allUsers']);
  });

  it('other APIs\' SetIamPolicy refuse public members too (Resource Manager, Secret Manager, Artifact Registry)', async () => {
    const other = await startEmulator({ port: 0, orgPolicies: ['domain-restricted-sharing'] });
    const c = new Clients({ mode: 'emulator', grpc: other.grpc, http: other.http });
    try {
      const refused = async (p: Promise<unknown>) => {
        const err: any = await p.then(() => undefined, (e) => e);
        expect(err?.code, String(err?.details ?? err)).toBe(9); // FAILED_PRECONDITION
        expect(String(err.details)).toContain('One or more users named in the policy do not belong to a permitted customer.');
      };
      const bindings = [{ role: 'roles/viewer', members: ['allUsers'] }];
      await refused(c.projects().setIamPolicy({ resource: 'projects/proj-drs', policy: { bindings } }));
      await c.secretManager().createSecret({ parent: 'projects/proj-drs', secretId: 's', secret: { replication: { automatic: {} } } });
      await refused(c.secretManager().setIamPolicy({ resource: 'projects/proj-drs/secrets/s', policy: { bindings: [{ role: 'roles/secretmanager.secretAccessor', members: ['allAuthenticatedUsers'] }] } }));
      const [op] = await c.artifactRegistry().createRepository({ parent: 'projects/proj-drs/locations/europe-west1', repositoryId: 'r', repository: { format: 'DOCKER' } });
      await op.promise();
      await refused(c.artifactRegistry().setIamPolicy({ resource: 'projects/proj-drs/locations/europe-west1/repositories/r', policy: { bindings: [{ role: 'roles/artifactregistry.reader', members: ['allUsers'] }] } }));
    } finally {
      await c.close();
      await other.stop();
    }
  });

  it('the flag is an emulator option; an unknown policy name is 400', async () => {
    const other = await startEmulator({ port: 0, orgPolicies: ['domain-restricted-sharing'] });
    try {
      expect(await (await fetch(`http://${other.http}/__emulator/org-policies`)).json()).toEqual({ policies: ['domain-restricted-sharing'] });
      const bad = await fetch(`http://${other.http}/__emulator/org-policies`, { method: 'PUT', body: JSON.stringify({ policies: ['nope'] }) });
      expect(bad.status).toBe(400);
    } finally {
      await other.stop();
    }
  });
});

describe('runctl emulator --org-policy / --verified-domain', () => {
  it('starts with the policy enforced and the domains verified (the built binary)', async () => {
    const child = spawn(process.execPath, [CLI, 'emulator', '--port', '0', '--org-policy', 'domain-restricted-sharing', '--verified-domain', 'Example.com'], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      for (let i = 0; i < 1000 && !out.includes('\n'); i++) {
        if (child.exitCode !== null) throw new Error(`emulator exited ${child.exitCode}`);
        await new Promise((r) => setTimeout(r, 20));
      }
      const { http } = JSON.parse(out.split('\n')[0]);
      expect(await (await fetch(`http://${http}/__emulator/org-policies`)).json()).toEqual({ policies: ['domain-restricted-sharing'] });
      expect(await (await fetch(`http://${http}/__emulator/verified-domains`)).json()).toEqual({ domains: ['example.com'] });
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
  });

  it('exits 1 on an unknown constraint, before listening', async () => {
    let err = '';
    const code = await runctl(['emulator', '--org-policy', 'no-such'], { stdout: { write: () => true }, stderr: { write: (s: string) => ((err += s), true) }, env: {}, cwd: process.cwd() });
    expect(code).toBe(1);
    expect(err).toContain('--org-policy: unknown constraint no-such');
  });
});
