/**
 * Cloud Run emulator: long-running operations (latency on the simulated clock, the
 * Operations API), rollout failures (admission denial, missing revisions, injected
 * faults), IAM, call statistics and persistence — through the real clients.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImageAdmissionRequest } from '../../src/emulator/admission';
import { grpc, loadProtos } from '../../src/emulator/grpc';
import { startEmulator, type RunningEmulator } from '../../src/emulator/server';
import { Clients } from '../../src/gcp/clients';
import { protos } from '@google-cloud/run';

/**
 * The Operations mixin's methods on the v2 clients are typed with the message classes
 * (which carry `toJSON`) rather than the plain `I...` interfaces; build the requests with
 * the classes' own `create`.
 */
const longrunning = protos.google.longrunning;

const PARENT = 'projects/p/locations/europe-north1';
const IMAGE = 'europe-north1-docker.pkg.dev/p/repo/app:1';

async function failure(p: Promise<unknown>): Promise<{ code: number; details: string }> {
  const err: any = await p.then(() => undefined, (e) => e);
  expect(err, 'expected the call to fail').toBeInstanceOf(Error);
  return { code: err.code, details: String(err.details ?? err.message) };
}

async function admin(emu: RunningEmulator, method: 'GET' | 'POST', route: string, body?: unknown): Promise<any> {
  const res = await fetch(`http://${emu.http}${route}`, { method, body: body === undefined ? undefined : JSON.stringify(body), headers: { 'content-type': 'application/json' } });
  return res.json();
}

function connect(emu: RunningEmulator) {
  const clients = new Clients({ mode: 'emulator', grpc: emu.grpc, http: emu.http });
  return { clients, services: clients.runServices(), revisions: clients.runRevisions() };
}

async function deploy(services: ReturnType<Clients['runServices']>, id: string, service: Record<string, any> = {}) {
  const [op] = await services.createService({ parent: PARENT, serviceId: id, service: { template: { containers: [{ image: IMAGE }] }, ...service } });
  await op.promise();
  const [got] = await services.getService({ name: `${PARENT}/services/${id}` });
  return got;
}

describe('operations with latency', () => {
  let emu: RunningEmulator;
  let c: ReturnType<typeof connect>;
  beforeAll(async () => {
    emu = await startEmulator({ port: 0, operationLatencyMs: 60_000 });
    c = connect(emu);
  });
  afterAll(async () => {
    await c.clients.close();
    await emu.stop();
  });

  it('are not done at first; the service reconciles until the simulated latency has passed', async () => {
    const [op] = await c.services.createService({ parent: PARENT, serviceId: 'slow', service: { template: { containers: [{ image: IMAGE }] } } });
    expect(op.name).toMatch(new RegExp(`^${PARENT}/operations/[0-9a-f-]{36}$`));
    expect(op.latestResponse.done).toBe(false);
    const [during] = await c.services.getService({ name: `${PARENT}/services/slow` });
    expect(during.reconciling).toBe(true);
    expect(during.terminalCondition?.state).toBe('CONDITION_RECONCILING');
    expect(during.latestReadyRevision).toBe('');
    const [polled] = await c.services.getOperation(longrunning.GetOperationRequest.create({ name: op.name! }));
    expect(polled.done).toBe(false);

    await admin(emu, 'POST', '/__emulator/clock/advance', { seconds: 60 });
    const [result] = await op.promise();
    expect(result.name).toBe(`${PARENT}/services/slow`);
    const [after] = await c.services.getService({ name: `${PARENT}/services/slow` });
    expect(after).toMatchObject({ reconciling: false, observedGeneration: '1', terminalCondition: { state: 'CONDITION_SUCCEEDED' } });
    expect(after.latestReadyRevision).toBe(after.latestCreatedRevision);
  });

  it('are listed, waited on and deleted through the Operations API', async () => {
    const [op] = await c.services.createService({ parent: PARENT, serviceId: 'waited', service: { template: { containers: [{ image: IMAGE }] } } });
    const listed: string[] = [];
    for await (const o of c.services.listOperationsAsync(longrunning.ListOperationsRequest.create({ name: PARENT, filter: '' }))) listed.push(o.name!);
    expect(listed).toContain(op.name);

    const pkg = loadProtos(['google/longrunning/operations.proto']);
    const raw = new pkg.google.longrunning.Operations(emu.grpc, grpc.credentials.createInsecure());
    const wait = (timeout: { seconds: number }) =>
      new Promise<any>((resolve, reject) => raw.WaitOperation({ name: op.name, timeout }, (err: Error | null, res: any) => (err ? reject(err) : resolve(res))));
    expect((await wait({ seconds: 0 })).done).toBe(false);
    const waiting = wait({ seconds: 120 });
    await admin(emu, 'POST', '/__emulator/clock/advance', { seconds: 60 });
    const finished = await waiting;
    expect(finished.done).toBe(true);
    // proto-loader keeps protobufjs' bundled field name for Any.
    expect(finished.response.type_url).toBe('type.googleapis.com/google.cloud.run.v2.Service');
    raw.close();

    await c.services.deleteOperation(longrunning.DeleteOperationRequest.create({ name: op.name! }));
    expect((await failure(c.services.getOperation(longrunning.GetOperationRequest.create({ name: op.name! })))).code).toBe(5);
  });
});

describe('rollout failures', () => {
  let emu: RunningEmulator;
  let c: ReturnType<typeof connect>;
  const seen: ImageAdmissionRequest[] = [];
  beforeAll(async () => {
    emu = await startEmulator({ port: 0 });
    c = connect(emu);
    emu.core.imageAdmission.push((req) => {
      seen.push(req);
      const bad = req.images.find((i) => i.includes('untrusted'));
      return bad ? { reason: 'CONTAINER_IMAGE_UNAUTHORIZED', message: `Image ${bad} denied by Binary Authorization policy.` } : undefined;
    });
  });
  afterAll(async () => {
    await c.clients.close();
    await emu.stop();
  });

  it('an admission denial fails the operation and the new revision; traffic stays on the last ready revision', async () => {
    const s = await deploy(c.services, 'guarded', { binaryAuthorization: { useDefault: true } });
    expect(seen.at(-1)).toMatchObject({ project: 'p', region: 'europe-north1', service: 'guarded', images: [IMAGE], binaryAuthorization: { useDefault: true } });
    const [op] = await c.services.updateService({ service: { name: s.name, template: { containers: [{ image: 'docker.io/evil/untrusted:1' }] } }, updateMask: { paths: ['template'] } });
    const err = await failure(op.promise());
    expect(err.code).toBe(9);
    expect(err.details).toMatch(/docker\.io\/evil\/untrusted:1 denied by Binary Authorization/);

    const [after] = await c.services.getService({ name: s.name! });
    expect(after.terminalCondition).toMatchObject({ state: 'CONDITION_FAILED', reason: 'CONTAINER_IMAGE_UNAUTHORIZED' });
    expect(after.terminalCondition?.message).toMatch(/denied by Binary Authorization/);
    expect(after.latestCreatedRevision).not.toBe(s.latestCreatedRevision);
    expect(after.latestReadyRevision).toBe(s.latestReadyRevision);
    expect(after.trafficStatuses).toEqual(s.trafficStatuses);
    const [failed] = await c.revisions.getRevision({ name: after.latestCreatedRevision! });
    expect(failed.conditions?.find((x) => x.type === 'Ready')).toMatchObject({ state: 'CONDITION_FAILED', reason: 'CONTAINER_IMAGE_UNAUTHORIZED' });
  });

  it('traffic to a revision that does not exist fails the operation and keeps the serving state', async () => {
    const s = await deploy(c.services, 'misrouted');
    const [op] = await c.services.updateService({
      service: { name: s.name, traffic: [{ type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION', revision: 'misrouted-gone', percent: 100 }] },
      updateMask: { paths: ['traffic'] },
    });
    const err = await failure(op.promise());
    expect([9, 13]).toContain(err.code);
    expect(err.details).toMatch(/Revision 'misrouted-gone' does not exist/);
    const [after] = await c.services.getService({ name: s.name! });
    expect(after.terminalCondition?.state).toBe('CONDITION_FAILED');
    expect(after.traffic).toMatchObject([{ revision: 'misrouted-gone', percent: 100 }]);
    expect(after.trafficStatuses).toEqual(s.trafficStatuses);
    expect(after.generation).toBe('2');
  });

  it('an injected operation fault fails the rollout, then the next one succeeds', async () => {
    const s = await deploy(c.services, 'flaky');
    await admin(emu, 'POST', '/__emulator/faults', { method: 'Services.UpdateService', code: 9, operation: true, times: 1, message: 'The user-provided container failed to start.' });
    const next = { name: s.name, template: { containers: [{ image: `${IMAGE}-v2` }] } };
    const [op] = await c.services.updateService({ service: next, updateMask: { paths: ['template'] } });
    expect((await failure(op.promise())).details).toMatch(/failed to start/);
    const [failedState] = await c.services.getService({ name: s.name! });
    expect(failedState.latestReadyRevision).toBe(s.latestReadyRevision);
    const [retry] = await c.services.updateService({ service: { ...next, template: { containers: [{ image: `${IMAGE}-v3` }] } }, updateMask: { paths: ['template'] } });
    await retry.promise();
    const [ok] = await c.services.getService({ name: s.name! });
    expect(ok.terminalCondition?.state).toBe('CONDITION_SUCCEEDED');
    expect(ok.latestReadyRevision).toBe(ok.latestCreatedRevision);
  });
});

describe('IAM, stats and persistence', () => {
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'runctl-run-'));
  afterAll(() => fs.rmSync(stateDir, { recursive: true, force: true }));

  it('replaces the policy, refuses a stale etag with ABORTED, counts calls, and survives a restart', async () => {
    const emu = await startEmulator({ port: 0, stateDir, operationLatencyMs: 3_600_000 });
    const c = connect(emu);
    const [op] = await c.services.createService({ parent: PARENT, serviceId: 'kept', service: { labels: { k: 'v' }, template: { containers: [{ image: IMAGE }] } } });
    expect(op.latestResponse.done).toBe(false);
    const name = `${PARENT}/services/kept`;

    await admin(emu, 'POST', '/__emulator/stats/reset');
    const [empty] = await c.services.getIamPolicy({ resource: name });
    expect(empty.bindings).toEqual([]);
    expect(Buffer.from(empty.etag as Uint8Array).toString('base64')).toBe('ACAB');
    const [set] = await c.services.setIamPolicy({ resource: name, policy: { bindings: [{ role: 'roles/run.invoker', members: ['allUsers'] }], etag: empty.etag } });
    expect(set).toMatchObject({ version: 1, bindings: [{ role: 'roles/run.invoker', members: ['allUsers'] }] });
    const stale = await failure(c.services.setIamPolicy({ resource: name, policy: { bindings: [], etag: empty.etag } }));
    expect(stale.code).toBe(10);
    expect((await failure(c.services.setIamPolicy({ resource: name, policy: { bindings: [{ role: 'roles/run.invoker', members: ['nobody'] }] } }))).code).toBe(3);
    const [perms] = await c.services.testIamPermissions({ resource: name, permissions: ['run.routes.invoke', 'run.services.get'] });
    expect(perms.permissions).toEqual(['run.routes.invoke', 'run.services.get']);
    expect((await failure(c.services.getIamPolicy({ resource: `${PARENT}/services/absent` }))).code).toBe(5);
    await c.services.getService({ name });

    const stats = await admin(emu, 'GET', '/__emulator/stats');
    expect(stats.calls).toMatchObject({
      'Services.GetIamPolicy': 2,
      'Services.SetIamPolicy': 3,
      'Services.TestIamPermissions': 1,
      'Services.GetService': 1,
    });
    expect(stats.writes).toBe(3);
    expect(stats.reads).toBe(4);

    // Stopping completes pending operations, then saves state.
    await c.clients.close();
    await emu.stop();
    const again = await startEmulator({ port: 0, stateDir });
    const c2 = connect(again);
    const [s] = await c2.services.getService({ name });
    expect(s).toMatchObject({ labels: { k: 'v' }, reconciling: false, terminalCondition: { state: 'CONDITION_SUCCEEDED' } });
    const [r] = await c2.revisions.getRevision({ name: s.latestReadyRevision! });
    expect(r.containers?.[0].image).toBe(IMAGE);
    const [policy] = await c2.services.getIamPolicy({ resource: name });
    expect(policy.bindings).toMatchObject([{ role: 'roles/run.invoker', members: ['allUsers'] }]);
    const [done] = await c2.services.getOperation(longrunning.GetOperationRequest.create({ name: op.name! }));
    expect(done.done).toBe(true);
    await c2.clients.close();
    await again.stop();
  });
});
