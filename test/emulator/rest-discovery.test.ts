/**
 * The discovery-based REST client (`@googleapis/run`, Cloud Run Admin API v2) against
 * the emulator's HTTP port: create, get, list, patch and delete a service, polling each
 * operation with `operations.get` until done, as scripts built on `googleapis` do.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { run_v2 } from '@googleapis/run';
import { startEmulator, type RunningEmulator } from '../../src/emulator/server';

const PARENT = 'projects/disc-proj/locations/europe-north1';
const NAME = `${PARENT}/services/hello`;
const IMAGE = 'europe-north1-docker.pkg.dev/disc-proj/repo/hello:1';

let emu: RunningEmulator;
let api: run_v2.Run;

/** Poll an operation until done (bounded), as a script would. */
async function poll(op: run_v2.Schema$GoogleLongrunningOperation): Promise<run_v2.Schema$GoogleLongrunningOperation> {
  let current = op;
  for (let i = 0; i < 200 && !current.done; i++) {
    await new Promise((r) => setTimeout(r, 25));
    current = (await api.projects.locations.operations.get({ name: current.name! })).data;
  }
  return current;
}

beforeAll(async () => {
  emu = await startEmulator({ port: 0, operationLatencyMs: 100 });
  const { run } = require('@googleapis/run') as typeof import('@googleapis/run');
  const { PassThroughClient } = require('google-auth-library') as typeof import('google-auth-library');
  api = run({ version: 'v2', rootUrl: `http://${emu.http}/`, auth: new PassThroughClient() as never });
});

afterAll(async () => emu?.stop());

describe('@googleapis/run (discovery REST client) against the emulator', () => {
  it('creates a service and polls its operation to the finished service', async () => {
    const { data: op } = await api.projects.locations.services.create({
      parent: PARENT,
      serviceId: 'hello',
      requestBody: { labels: { app: 'hello' }, template: { containers: [{ image: IMAGE }] } },
    });
    expect(op.name).toMatch(new RegExp(`^${PARENT}/operations/`));
    expect(op.metadata?.['@type']).toBe('type.googleapis.com/google.cloud.run.v2.Service');
    const done = await poll(op);
    expect(done.done).toBe(true);
    expect(done.error).toBeUndefined();
    expect(done.response).toMatchObject({ '@type': 'type.googleapis.com/google.cloud.run.v2.Service', name: NAME });
  });

  it('gets it in the proto3 JSON form (enum names, int64 as strings, RFC 3339 times)', async () => {
    const { data } = await api.projects.locations.services.get({ name: NAME });
    expect(data).toMatchObject({ name: NAME, generation: '1', ingress: 'INGRESS_TRAFFIC_ALL', labels: { app: 'hello' }, reconciling: false });
    expect(data.createTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    expect(data.template?.timeout).toBe('300s');
  });

  it('lists it', async () => {
    const { data } = await api.projects.locations.services.list({ parent: PARENT });
    expect(data.services?.map((s) => s.name)).toEqual([NAME]);
  });

  it('patches it with an update mask (a comma list in the query string)', async () => {
    const { data: op } = await api.projects.locations.services.patch({
      name: NAME,
      updateMask: 'labels,description',
      requestBody: { labels: { app: 'hello', tier: 'web' }, description: 'says hello' },
    });
    expect((await poll(op)).done).toBe(true);
    const { data } = await api.projects.locations.services.get({ name: NAME });
    expect(data).toMatchObject({ labels: { app: 'hello', tier: 'web' }, description: 'says hello' });
  });

  it('deletes it; the operation finishes and the service is gone (404 NOT_FOUND)', async () => {
    const { data: op } = await api.projects.locations.services.delete({ name: NAME });
    expect((await poll(op)).done).toBe(true);
    const err = await api.projects.locations.services.get({ name: NAME }).then(() => undefined, (e: { response?: { status: number; data: unknown } }) => e);
    expect(err?.response?.status).toBe(404);
    expect(err?.response?.data).toMatchObject({ error: { code: 404, status: 'NOT_FOUND' } });
  });

  it('a method the emulator does not serve answers 501 UNIMPLEMENTED naming it', async () => {
    const err = await api.projects.locations.jobs.list({ parent: PARENT }).then(() => undefined, (e: { response?: { status: number; data: any } }) => e);
    expect(err?.response?.status).toBe(501);
    expect(err?.response?.data.error).toMatchObject({ code: 501, status: 'UNIMPLEMENTED' });
    expect(err?.response?.data.error.message).toContain('google.cloud.run.v2.Jobs.ListJobs');
  });
});
