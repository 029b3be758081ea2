/**
 * Conformance of the Cloud Run Admin API v2 emulator (services and revisions) through
 * the unmodified @google-cloud/run clients.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../src/emulator/server';
import type { LocationProtos } from 'google-gax';
import { Clients } from '../../src/gcp/clients';
import { emulatorStats, resetEmulatorStats } from '../helpers/emulator-admin';

type ILocation = LocationProtos.google.cloud.location.ILocation;

const PARENT = 'projects/p/locations/europe-north1';
const IMAGE = 'europe-north1-docker.pkg.dev/p/repo/jokes:1';

let emu: RunningEmulator;
let clients: Clients;
const services = () => clients.runServices();
const revisions = () => clients.runRevisions();

async function failure(p: Promise<unknown>): Promise<{ code: number; details: string }> {
  const err: any = await p.then(() => undefined, (e) => e);
  expect(err, 'expected the call to fail').toBeInstanceOf(Error);
  return { code: err.code, details: String(err.details ?? err.message) };
}

async function create(id: string, service: Record<string, any> = {}, parent = PARENT) {
  const [op] = await services().createService({ parent, serviceId: id, service: { template: { containers: [{ image: IMAGE }] }, ...service } });
  await op.promise();
  const [got] = await services().getService({ name: `${parent}/services/${id}` });
  return got;
}

async function update(request: Record<string, any>) {
  const [op] = await services().updateService(request);
  await op.promise();
  const [got] = await services().getService({ name: request.service.name });
  return got;
}

async function revisionIds(serviceName: string): Promise<string[]> {
  const [list] = await revisions().listRevisions({ parent: serviceName });
  return list.map((r) => r.name!.split('/').pop()!);
}

beforeAll(async () => {
  emu = await startEmulator({ port: 0 });
  clients = new Clients({ mode: 'emulator', grpc: emu.grpc, http: emu.http });
});

afterAll(async () => {
  await clients.close();
  await emu.stop();
});

describe('CreateService / GetService', () => {
  it('fills server defaults and output-only fields', async () => {
    const [op] = await services().createService(
      { parent: PARENT, serviceId: 'jokes', service: { labels: { app: 'jokes' }, client: 'runctl', clientVersion: '0.1.0', template: { containers: [{ image: IMAGE }] } } },
      { otherArgs: { headers: { 'x-emulator-principal': 'alice@example.com' } } },
    );
    const [done] = await op.promise();
    expect(done.name).toBe(`${PARENT}/services/jokes`);
    const [s] = await services().getService({ name: `${PARENT}/services/jokes` });
    expect(s).toMatchObject({
      ingress: 'INGRESS_TRAFFIC_ALL',
      launchStage: 'GA',
      generation: '1',
      observedGeneration: '1',
      reconciling: false,
      creator: 'alice@example.com',
      lastModifier: 'alice@example.com',
      client: 'runctl',
      clientVersion: '0.1.0',
      labels: { app: 'jokes' },
      terminalCondition: { type: 'Ready', state: 'CONDITION_SUCCEEDED' },
      traffic: [{ type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST', percent: 100 }],
    });
    const t = s.template!;
    expect(t.scaling).toMatchObject({ maxInstanceCount: 100 });
    expect(t.timeout).toMatchObject({ seconds: '300' });
    expect(t.serviceAccount).toBe('123456789012-compute@developer.gserviceaccount.com');
    expect(t.maxInstanceRequestConcurrency).toBe(80);
    const c = t.containers![0];
    expect(c.resources).toMatchObject({ limits: { cpu: '1000m', memory: '512Mi' }, cpuIdle: true });
    expect(c.ports).toEqual([{ name: 'http1', containerPort: 8080 }]);
    expect(c.startupProbe).toMatchObject({ tcpSocket: { port: 8080 }, timeoutSeconds: 240, periodSeconds: 240, failureThreshold: 1 });
    expect(s.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(s.etag).toBeTruthy();
    expect(s.createTime?.seconds).toBeTruthy();
    expect(s.latestCreatedRevision).toMatch(new RegExp(`^${PARENT}/services/jokes/revisions/jokes-00001-[a-z0-9]{3}$`));
    expect(s.latestReadyRevision).toBe(s.latestCreatedRevision);
    // A LATEST entry does not name its revision (as on Google): it is latestReadyRevision.
    expect(s.trafficStatuses).toMatchObject([{ type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST', percent: 100 }]);
    expect(s.trafficStatuses![0].revision || undefined).toBeUndefined();
    expect(s.uri).toMatch(/^https:\/\/jokes-[a-z0-9]{10}-lz\.a\.run\.app$/);
    expect(s.urls).toEqual(['https://jokes-123456789012.europe-north1.run.app', s.uri]);
    expect(s.conditions!.map((x) => [x.type, x.state])).toEqual([['RoutesReady', 'CONDITION_SUCCEEDED'], ['ConfigurationsReady', 'CONDITION_SUCCEEDED']]);
  });

  it('ignores output-only fields sent on create', async () => {
    const s = await create('ignores-output', { uid: 'mine', generation: '7', uri: 'https://bogus', reconciling: true, latestReadyRevision: 'x' });
    expect(s.uid).not.toBe('mine');
    expect(s.generation).toBe('1');
    expect(s.uri).not.toBe('https://bogus');
    expect(s.latestReadyRevision).toMatch(/ignores-output-00001-/);
    expect(s.creator).toBe('emulator-user@local');
  });

  it('adds the missing limit key, leaves cpuIdle unset when resources are sent, defaults vpc egress', async () => {
    // A connector of the service's project must exist (spec/vpc-access.md, "Cloud Run").
    const [made] = await clients.vpcAccess().createConnector({ parent: PARENT, connectorId: 'c1', connector: { network: 'default', ipCidrRange: '10.8.0.0/28', maxInstances: 3 } });
    await made.promise();
    const s = await create('partial-resources', {
      template: {
        containers: [{ image: IMAGE, resources: { limits: { memory: '1Gi' } }, ports: [{ containerPort: 9000 }] }],
        vpcAccess: { connector: `${PARENT}/connectors/c1` },
      },
    });
    const c = s.template!.containers![0];
    expect(c.resources!.limits).toEqual({ cpu: '1000m', memory: '1Gi' });
    expect(c.resources!.cpuIdle).toBe(false);
    expect(c.ports).toEqual([{ name: 'http1', containerPort: 9000 }]);
    expect(c.startupProbe!.tcpSocket!.port).toBe(9000);
    expect(s.template!.vpcAccess).toMatchObject({ connector: `${PARENT}/connectors/c1`, egress: 'PRIVATE_RANGES_ONLY' });
  });

  it('rejects a duplicate name with ALREADY_EXISTS and bad ids with INVALID_ARGUMENT', async () => {
    await create('dup');
    expect((await failure(create('dup'))).code).toBe(6);
    const bad = await failure(create('9-starts-with-digit'));
    expect(bad.code).toBe(3);
    expect(bad.details).toMatch(/CreateServiceRequest\.service_id/);
    expect((await failure(create('ends-with-hyphen-'))).code).toBe(3);
    expect((await failure(create('x'.repeat(50)))).code).toBe(3);
  });

  it('validate_only returns the defaulted service and persists nothing', async () => {
    const [op] = await services().createService({ parent: PARENT, serviceId: 'dry', validateOnly: true, service: { template: { containers: [{ image: IMAGE }] } } });
    const [preview] = await op.promise();
    expect(preview.template?.serviceAccount).toBe('123456789012-compute@developer.gserviceaccount.com');
    const missing = await failure(services().getService({ name: `${PARENT}/services/dry` }));
    expect(missing.code).toBe(5);
    expect(missing.details).toMatch(/Resource 'dry' of kind 'SERVICE' in region 'europe-north1' in project 'p' does not exist/);
  });
});

describe('ListServices', () => {
  const parent = 'projects/p/locations/europe-west4';

  it('pages (default page size 50) newest first, and the async iterator returns every service', async () => {
    for (let i = 0; i < 55; i++) {
      const [op] = await services().createService({ parent, serviceId: `svc-${String(i).padStart(2, '0')}`, service: { template: { containers: [{ image: IMAGE }] } } });
      await op.promise();
    }
    await resetEmulatorStats(emu.http);
    const names: string[] = [];
    for await (const s of services().listServicesAsync({ parent })) names.push(s.name!.split('/').pop()!);
    expect(names).toHaveLength(55);
    expect(names[0]).toBe('svc-54');
    expect(names[54]).toBe('svc-00');
    const stats = await emulatorStats(emu.http);
    expect(stats.calls['Services.ListServices']).toBe(2);

    const [page, next] = await services().listServices({ parent, pageSize: 20 }, { autoPaginate: false });
    expect(page).toHaveLength(20);
    expect(next?.pageToken).toBeTruthy();
    const [rest] = await services().listServices({ parent, pageSize: 100, pageToken: next!.pageToken }, { autoPaginate: false });
    expect(rest.map((s) => s.name!.split('/').pop())).toEqual(names.slice(20));
  });

  it('refuses the "-" wildcard location like Google (ListServices lists one region)', async () => {
    await create('wild-a', {}, 'projects/wild/locations/us-east1');
    const refused = await failure(services().listServices({ parent: 'projects/wild/locations/-' }));
    expect(refused.code).toBe(3);
    expect(refused.details).toMatch(/ListServicesRequest\.parent/);
    expect((await failure(services().createService({ parent: 'projects/wild/locations/-', serviceId: 'x', service: { template: { containers: [{ image: IMAGE }] } } }))).code).toBe(3);
    expect((await failure(services().getService({ name: 'projects/wild/locations/-/services/wild-a' }))).code).toBe(3);
    const [east] = await services().listServices({ parent: 'projects/wild/locations/us-east1' });
    expect(east.map((s) => s.name)).toEqual(['projects/wild/locations/us-east1/services/wild-a']);
  });
});

/**
 * `ServicesClient.getLocation`: its declaration says `Promise<ILocation>`, but it returns
 * gax's `LocationsClient.getLocation`, which resolves `[location, ...]` like every other
 * unary call (google-gax build/src/locationService.js).
 */
async function getLocation(name: string): Promise<ILocation> {
  const resolved: unknown = await services().getLocation({ name });
  return (resolved as [ILocation])[0];
}

describe('Locations (the mixin on the Cloud Run endpoint)', () => {
  // The v2 clients carry the mixin as listLocationsAsync and getLocation.
  const listAll = async (request: { name: string; pageSize?: number }) => {
    const out: any[] = [];
    for await (const loc of services().listLocationsAsync(request, { autoPaginate: false })) out.push(loc);
    return out;
  };
  const initialized = async (project: string) => (await listAll({ name: `projects/${project}` })).filter((l) => l.labels?.initialized).map((l) => l.locationId);

  it('lists Cloud Run regions in the Location shape, initialized where the project has or had services', async () => {
    expect(await initialized('locs')).toEqual([]);
    await create('loc-a', {}, 'projects/locs/locations/us-east1');
    const b = await create('loc-b', {}, 'projects/locs/locations/asia-south1');
    await create('loc-c', {}, 'projects/locs-other/locations/europe-west1');
    const [op] = await services().deleteService({ name: b.name });
    await op.promise();
    // Cloud Run stays initialized in a region after its last service is gone.
    expect(await initialized('locs')).toEqual(['asia-south1', 'us-east1']);
    expect(await initialized('locs-other')).toEqual(['europe-west1']);

    const all = await listAll({ name: 'projects/locs' });
    expect(all.length).toBeGreaterThan(30);
    const east = all.find((l) => l.locationId === 'us-east1')!;
    expect(east).toMatchObject({ name: 'projects/locs/locations/us-east1', locationId: 'us-east1', displayName: 'South Carolina', labels: { initialized: 'true' } });
    expect(all.find((l) => l.locationId === 'europe-north1')!.labels).toEqual({});

    // A region id outside the emulator's table that a service uses is still listed, so a
    // client walking the initialized locations finds every service the emulator holds.
    await create('loc-odd', {}, 'projects/locs/locations/zz-test1');
    expect(await initialized('locs')).toEqual(['asia-south1', 'us-east1', 'zz-test1']);
    const odd = await getLocation('projects/locs/locations/zz-test1');
    expect(odd).toMatchObject({ locationId: 'zz-test1', displayName: 'zz-test1', labels: { initialized: 'true' } });
  });

  it('pages, gets one location, and refuses malformed names', async () => {
    const all = await listAll({ name: 'projects/locs', pageSize: 1000 });
    await resetEmulatorStats(emu.http);
    const paged = await listAll({ name: 'projects/locs', pageSize: 10 });
    expect(paged.map((l) => l.locationId)).toEqual(all.map((l) => l.locationId));
    const stats = await emulatorStats(emu.http);
    expect(stats.calls['Locations.ListLocations']).toBe(Math.ceil(all.length / 10));

    const got = await getLocation('projects/locs/locations/us-east1');
    expect(got).toMatchObject({ locationId: 'us-east1', labels: { initialized: 'true' } });
    expect((await failure(getLocation('projects/locs/locations/mars-north1'))).code).toBe(5);
    expect((await failure(listAll({ name: 'projects/locs/locations/us-east1' }))).code).toBe(3);
  });
});

describe('UpdateService', () => {
  it('without a mask replaces every mutable field; an unchanged template makes no revision', async () => {
    const s = await create('replace', { description: 'first', labels: { a: '1' } });
    const after = await update({ service: { name: s.name, template: s.template, labels: { b: '2' } } });
    expect(after.labels).toEqual({ b: '2' });
    expect(after.description).toBe('');
    expect(after.generation).toBe('2');
    expect(after.observedGeneration).toBe('2');
    expect(after.latestCreatedRevision).toBe(s.latestCreatedRevision);
    expect(await revisionIds(s.name!)).toHaveLength(1);
  });

  it('accepts the GET object echoed back without creating a revision', async () => {
    const s = await create('echo');
    const after = await update({ service: s });
    expect(after.latestCreatedRevision).toBe(s.latestCreatedRevision);
    expect(await revisionIds(s.name!)).toHaveLength(1);
  });

  it('with a mask merges only the listed paths (snake_case or camelCase)', async () => {
    const s = await create('masked', { description: 'keep', labels: { a: '1' } });
    const after = await update({
      service: { name: s.name, labels: { c: '3' }, description: 'ignored', scaling: { minInstanceCount: 2 } },
      updateMask: { paths: ['labels', 'scaling.min_instance_count'] },
    });
    expect(after.labels).toEqual({ c: '3' });
    expect(after.description).toBe('keep');
    expect(after.scaling?.minInstanceCount).toBe(2);
    expect(after.latestCreatedRevision).toBe(s.latestCreatedRevision);
  });

  it('a template change creates a revision named after the generation and moves LATEST traffic', async () => {
    const s = await create('deploys');
    await update({ service: { name: s.name, labels: { x: 'y' } }, updateMask: { paths: ['labels'] } });
    const after = await update({ service: { name: s.name, template: { containers: [{ image: `${IMAGE}-v2` }] } }, updateMask: { paths: ['template'] } });
    expect(after.generation).toBe('3');
    const latest = after.latestCreatedRevision!.split('/').pop()!;
    expect(latest).toMatch(/^deploys-00003-[a-z0-9]{3}$/);
    expect(after.latestReadyRevision).toBe(after.latestCreatedRevision);
    expect(after.trafficStatuses).toMatchObject([{ type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST', percent: 100 }]);
    expect(await revisionIds(s.name!)).toEqual([latest, s.latestCreatedRevision!.split('/').pop()]);
  });

  it('rejects a stale etag with ABORTED and accepts the current one', async () => {
    const s = await create('etags');
    const stale = await failure(services().updateService({ service: { ...s, etag: 'stale' } }));
    expect(stale.code).toBe(10);
    const ok = await update({ service: { ...s, labels: { v: '2' } } });
    expect(ok.labels).toEqual({ v: '2' });
    expect(ok.etag).not.toBe(s.etag);
    expect((await failure(services().updateService({ service: { ...s, labels: { v: '3' } } }))).code).toBe(10);
  });

  it('refuses to reuse an explicit revision name for a different template', async () => {
    const s = await create('named');
    const blue = await update({ service: { name: s.name, template: { revision: 'named-blue', containers: [{ image: IMAGE }] } } });
    expect(blue.latestCreatedRevision).toBe(`${s.name}/revisions/named-blue`);
    const again = await update({ service: blue });
    expect(again.latestCreatedRevision).toBe(blue.latestCreatedRevision);
    const clash = await failure(services().updateService({ service: { name: s.name, template: { revision: 'named-blue', containers: [{ image: `${IMAGE}-v2` }] } } }));
    expect(clash.code).toBe(6);
    expect(clash.details).toMatch(/Revision named 'named-blue' with different configuration already exists/);
    const prefix = await failure(services().updateService({ service: { name: s.name, template: { revision: 'other-1', containers: [{ image: IMAGE }] } } }));
    expect(prefix.code).toBe(3);
  });

  it('upserts with allow_missing and returns NOT_FOUND without it', async () => {
    const name = `${PARENT}/services/upserted`;
    expect((await failure(services().updateService({ service: { name, template: { containers: [{ image: IMAGE }] } } }))).code).toBe(5);
    const s = await update({ service: { name, template: { containers: [{ image: IMAGE }] } }, allowMissing: true });
    expect(s.generation).toBe('1');
    expect(s.latestReadyRevision).toMatch(/upserted-00001-/);
  });

  it('splits traffic between revisions with tags', async () => {
    const s = await create('split');
    const first = s.latestCreatedRevision!.split('/').pop()!;
    const after = await update({
      service: {
        name: s.name,
        template: { containers: [{ image: `${IMAGE}-v2` }] },
        traffic: [
          { type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION', revision: first, percent: 90, tag: 'good' },
          { type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST', percent: 10, tag: 'next' },
        ],
      },
    });
    const second = after.latestReadyRevision!.split('/').pop()!;
    expect(second).not.toBe(first);
    expect(after.trafficStatuses).toMatchObject([
      { type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION', revision: first, percent: 90, tag: 'good', uri: after.uri!.replace('https://', 'https://good---') },
      { type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST', percent: 10, tag: 'next' },
    ]);
  });
});

describe('Revisions', () => {
  it('carry the template, labels, service and conditions', async () => {
    // Cloud Run refuses an account that does not exist (spec/iam.md): make it first.
    await clients.iamServiceAccounts().create({ name: 'projects/p', requestBody: { accountId: 'revs-runner' } });
    const s = await create('revs', { template: { labels: { t: '1' }, serviceAccount: 'revs-runner@p.iam.gserviceaccount.com', scaling: { minInstanceCount: 1, maxInstanceCount: 3 }, containers: [{ image: IMAGE }] } });
    const [r] = await revisions().getRevision({ name: s.latestCreatedRevision! });
    expect(r).toMatchObject({
      name: s.latestCreatedRevision,
      service: 'revs',
      generation: '1',
      labels: { t: '1' },
      serviceAccount: 'revs-runner@p.iam.gserviceaccount.com',
      scaling: { minInstanceCount: 1, maxInstanceCount: 3 },
      maxInstanceRequestConcurrency: 80,
      timeout: { seconds: '300' },
      reconciling: false,
    });
    expect(r.containers![0].image).toBe(IMAGE);
    expect(r.createTime?.seconds).toBeTruthy();
    expect(r.conditions!.find((c) => c.type === 'Ready')?.state).toBe('CONDITION_SUCCEEDED');
    const [all] = await revisions().listRevisions({ parent: `${PARENT}/services/-` });
    expect(all.map((x) => x.name)).toContain(s.latestCreatedRevision);
    const missing = await failure(revisions().getRevision({ name: `${s.name}/revisions/revs-nope` }));
    expect(missing.code).toBe(5);
  });

  it('deletes only revisions that cannot receive traffic', async () => {
    const s = await create('retire');
    const old = s.latestCreatedRevision!;
    const after = await update({ service: { name: s.name, template: { containers: [{ image: `${IMAGE}-v2` }] } }, updateMask: { paths: ['template'] } });
    expect((await failure(revisions().deleteRevision({ name: after.latestCreatedRevision! }))).code).toBe(9);
    const [op] = await revisions().deleteRevision({ name: old });
    const [deleted] = await op.promise();
    expect(deleted.name).toBe(old);
    expect((await failure(revisions().getRevision({ name: old }))).code).toBe(5);
  });
});

describe('DeleteService', () => {
  it('returns the deleted service and removes it with its revisions', async () => {
    const s = await create('doomed');
    expect((await failure(services().deleteService({ name: s.name, etag: 'stale' }))).code).toBe(10);
    const [op] = await services().deleteService({ name: s.name, etag: s.etag });
    const [deleted] = await op.promise();
    expect(deleted.name).toBe(s.name);
    expect(deleted.deleteTime).toBeTruthy();
    expect(deleted.expireTime).toBeTruthy();
    expect((await failure(services().getService({ name: s.name! }))).code).toBe(5);
    expect((await failure(revisions().getRevision({ name: s.latestCreatedRevision! }))).code).toBe(5);
    expect((await failure(services().deleteService({ name: s.name }))).code).toBe(5);
  });
});
