/**
 * The emulator's HTTP/JSON <-> gRPC transcoder on the wire (plain HTTP requests): path
 * templates, query parameters bound to request fields, the proto3 JSON mapping, system
 * parameters, Google's error body, and UNIMPLEMENTED (501) for what it does not serve.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../src/emulator/server';

const PARENT = 'projects/tc-proj/locations/europe-north1';
const IMAGE = 'europe-north1-docker.pkg.dev/tc-proj/repo/app:1';

let emu: RunningEmulator;

async function call(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`http://${emu.http}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

/** Wait for a Cloud Run operation with WaitOperation over REST (`:wait`, body `*`). */
async function settle(op: { name: string }): Promise<any> {
  for (let i = 0; i < 50; i++) {
    const { body } = await call('POST', `/v2/${op.name}:wait`, { timeout: '5s' });
    if (body.done) return body;
  }
  throw new Error(`operation ${op.name} did not finish`);
}

beforeAll(async () => {
  emu = await startEmulator({ port: 0 });
  const created = await call('POST', `/v2/${PARENT}/services?serviceId=app`, { template: { containers: [{ image: IMAGE }] } });
  expect(created.status).toBe(200);
  await settle(created.body);
});
afterAll(async () => emu?.stop());

describe('REST/JSON surface of the gRPC APIs', () => {
  it('answers in the proto3 JSON mapping: int64 as strings, enum names, RFC 3339 times, durations', async () => {
    const { status, body } = await call('GET', `/v2/${PARENT}/services/app`);
    expect(status).toBe(200);
    expect(body).toMatchObject({ name: `${PARENT}/services/app`, generation: '1', ingress: 'INGRESS_TRAFFIC_ALL' });
    expect(body.createTime).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z$/);
    expect(body.template.timeout).toBe('300s');
    // Empty maps and lists are left out, as Google's JSON does.
    expect(body).not.toHaveProperty('annotations');
  });

  it('numeric enums on request (`$alt=json;enum-encoding=int`, what the Node clients send)', async () => {
    const { body } = await call('GET', `/v2/${PARENT}/services/app?$alt=json%3Benum-encoding%3Dint`);
    expect(body.ingress).toBe(1);
  });

  it('accepts alt=json and ignores fields/$fields and other system parameters', async () => {
    for (const q of ['alt=json', 'fields=name', '$fields=name,uid', 'prettyPrint=false', 'quotaUser=x', '$.xgafv=2']) {
      const { status, body } = await call('GET', `/v2/${PARENT}/services/app?${q}`);
      expect(status, q).toBe(200);
      expect(body.name, q).toBe(`${PARENT}/services/app`);
    }
    const { status, body } = await call('GET', `/v2/${PARENT}/services/app?alt=proto`);
    expect(status).toBe(400);
    expect(body.error.status).toBe('INVALID_ARGUMENT');
  });

  it('binds query parameters to request fields (numbers, page tokens) and body fields (body: "service")', async () => {
    await settle((await call('POST', `/v2/${PARENT}/services?serviceId=app2`, { template: { containers: [{ image: IMAGE }] } })).body);
    const page1 = await call('GET', `/v2/${PARENT}/services?pageSize=1`);
    expect(page1.body.services).toHaveLength(1);
    expect(page1.body.nextPageToken).toBeTruthy();
    const page2 = await call('GET', `/v2/${PARENT}/services?pageSize=1&pageToken=${encodeURIComponent(page1.body.nextPageToken)}`);
    expect(page2.body.services).toHaveLength(1);
    expect(page2.body.services[0].name).not.toBe(page1.body.services[0].name);

    // PATCH /v2/{service.name=...} with body "service" and a FieldMask as a comma list.
    const patched = await call('PATCH', `/v2/${PARENT}/services/app2?updateMask=labels,description`, { labels: { a: 'b' }, description: 'two' });
    expect(patched.status).toBe(200);
    await settle(patched.body);
    expect((await call('GET', `/v2/${PARENT}/services/app2`)).body).toMatchObject({ labels: { a: 'b' }, description: 'two' });
  });

  it('custom verbs: IAM on a service (GET :getIamPolicy, POST :setIamPolicy with body *)', async () => {
    const set = await call('POST', `/v2/${PARENT}/services/app:setIamPolicy`, { policy: { bindings: [{ role: 'roles/run.invoker', members: ['allUsers'] }] } });
    expect(set.status).toBe(200);
    const got = await call('GET', `/v2/${PARENT}/services/app:getIamPolicy`);
    expect(got.body.bindings).toEqual([{ role: 'roles/run.invoker', members: ['allUsers'] }]);
    expect(typeof got.body.etag).toBe('string');
  });

  it('Monitoring v3 paths: a service created by ID, read back', async () => {
    const created = await call('POST', '/v3/projects/tc-proj/services?serviceId=app', { displayName: 'app', cloudRun: { serviceName: 'app', location: 'europe-north1' } });
    expect(created.status).toBe(200);
    const got = await call('GET', `/v3/${created.body.name}`);
    expect(got.body).toMatchObject({ displayName: 'app', cloudRun: { serviceName: 'app', location: 'europe-north1' } });
  });

  it("errors are Google's JSON body with the HTTP status of the gRPC code", async () => {
    const missing = await call('GET', `/v2/${PARENT}/services/missing`);
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({ error: { code: 404, status: 'NOT_FOUND', message: expect.any(String) } });
    const dup = await call('POST', `/v2/${PARENT}/services?serviceId=app`, { template: { containers: [{ image: IMAGE }] } });
    expect(dup.status).toBe(409);
    expect(dup.body.error.status).toBe('ALREADY_EXISTS');
  });

  it('rejects what it cannot read: bad JSON, unknown query parameters, mistyped values (400 INVALID_ARGUMENT)', async () => {
    const cases: Array<[string, string, unknown?]> = [
      ['POST', `/v2/${PARENT}/services?serviceId=x`, '{not json'],
      ['GET', `/v2/${PARENT}/services?noSuchField=1`],
      ['GET', `/v2/${PARENT}/services?pageSize=many`],
      ['GET', `/v2/${PARENT}/services?showDeleted=maybe`],
    ];
    for (const [method, path, body] of cases) {
      const res = await call(method, path, body);
      expect(res.status, path).toBe(400);
      expect(res.body.error.status, path).toBe('INVALID_ARGUMENT');
    }
  });

  it('a method the APIs define but the emulator does not serve: 501 UNIMPLEMENTED naming the method', async () => {
    const jobs = await call('POST', `/v2/${PARENT}/jobs?jobId=j`, {});
    expect(jobs.status).toBe(501);
    expect(jobs.body.error).toMatchObject({ code: 501, status: 'UNIMPLEMENTED' });
    expect(jobs.body.error.message).toContain('google.cloud.run.v2.Jobs.CreateJob');
    const groups = await call('GET', '/v3/projects/tc-proj/groups');
    expect(groups.status).toBe(501);
    expect(groups.body.error.message).toContain('google.monitoring.v3.GroupService.ListGroups');
  });

  it('an unknown route answers 501 UNIMPLEMENTED naming the method and path, never NOT_FOUND', async () => {
    for (const [method, path] of [['GET', '/v9/nothing/here'], ['DELETE', `/v2/${PARENT}/services/app/extra`], ['POST', '/compute/v1/projects/p/global/noSuchCollection']]) {
      const res = await call(method, path, method === 'POST' ? {} : undefined);
      expect(res.status, path).toBe(501);
      expect(res.body.error.status).toBe('UNIMPLEMENTED');
      expect(res.body.error.message).toContain(`${method} ${path}`);
    }
  });

  it('the REST modules keep their own 404s for resources that do not exist', async () => {
    const compute = await call('GET', '/compute/v1/projects/tc-proj/global/backendServices/missing');
    expect(compute.status).toBe(404);
    expect(compute.body.error.errors[0].reason).toBe('notFound');
    const storage = await call('GET', '/storage/v1/b/no-such-bucket-tc');
    expect(storage.status).toBe(404);
  });

  it('both transports share state and stats: a REST create is a gRPC-visible write', async () => {
    const stats = (await (await fetch(`http://${emu.http}/__emulator/stats`)).json()) as { calls: Record<string, number> };
    expect(stats.calls['Services.CreateService']).toBeGreaterThanOrEqual(2);
    expect(stats.calls['ServiceMonitoringService.CreateService']).toBe(1);
    const rest = (await (await fetch(`http://${emu.http}/__emulator/rest/stats`)).json()) as { calls: Record<string, number> };
    expect(rest.calls['Services.CreateService']).toBeGreaterThanOrEqual(2);
    // Only served calls count: an unimplemented method is not a call.
    expect(rest.calls['Jobs.CreateJob']).toBeUndefined();
  });
});
