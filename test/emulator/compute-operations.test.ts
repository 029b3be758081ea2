/**
 * Conformance: Compute operations — RUNNING until the operation latency has passed, the
 * change visible only when DONE, `wait` / `get` on global and regional operations, and
 * injected operation failures (DONE with `error.errors[]`, nothing applied).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { computeEnv, opOf, PROJECT, REGION, statusOf, waitOp, type ComputeEnv } from './compute-helpers';

describe('compute: operations', () => {
  let env: ComputeEnv;
  beforeAll(async () => {
    // Long enough that the checks between the insert and the poll run before it is due, even on a loaded machine.
    env = await computeEnv({ operationLatencyMs: 2000 });
  });
  afterAll(async () => env?.close());

  async function admin(path: string, body?: unknown): Promise<any> {
    const res = await fetch(`http://${env.emu.http}/__emulator/${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return res.json();
  }

  it('returns RUNNING first and applies the change only when DONE (global wait)', async () => {
    const c = env.clients;
    const addresses = c.compute('GlobalAddressesClient');
    const op = opOf(await addresses.insert({ project: PROJECT, addressResource: { name: 'slow-ip' } }));
    expect(op).toMatchObject({ kind: 'compute#operation', operationType: 'insert', status: 'RUNNING' });
    expect(op.name).toMatch(/^operation-/);
    expect(op.targetLink).toBe(`https://www.googleapis.com/compute/v1/projects/${PROJECT}/global/addresses/slow-ip`);

    expect((await statusOf(addresses.get({ project: PROJECT, address: 'slow-ip' }))).code).toBe(404);
    // A second insert of the same name while the first runs is still a duplicate.
    expect((await statusOf(addresses.insert({ project: PROJECT, addressResource: { name: 'slow-ip' } }))).code).toBe(409);

    const [polled] = await c.compute('GlobalOperationsClient').get({ project: PROJECT, operation: op.name });
    expect(polled.status).toBe('RUNNING');

    const [final] = await c.compute('GlobalOperationsClient').wait({ project: PROJECT, operation: op.name });
    expect(final.status).toBe('DONE');
    expect(final.progress).toBe(100);
    expect(final.error ?? null).toBeNull();
    const [ip] = await addresses.get({ project: PROJECT, address: 'slow-ip' });
    expect(ip.id).toBe(final.targetId);
  });

  it('waits on regional operations for NEGs', async () => {
    const c = env.clients;
    const op = opOf(await c.compute('RegionNetworkEndpointGroupsClient').insert({
      project: PROJECT,
      region: REGION,
      networkEndpointGroupResource: { name: 'slow-neg', networkEndpointType: 'SERVERLESS', cloudRun: { service: 'slow', tag: 'blue' } },
    }));
    expect(op.status).toBe('RUNNING');
    expect(op.region).toBe(`https://www.googleapis.com/compute/v1/projects/${PROJECT}/regions/${REGION}`);
    const notGlobal = await statusOf(c.compute('GlobalOperationsClient').get({ project: PROJECT, operation: op.name }));
    expect(notGlobal.code).toBe(404);
    const [final] = await c.compute('RegionOperationsClient').wait({ project: PROJECT, region: REGION, operation: op.name });
    expect(final.status).toBe('DONE');
    const [neg] = await c.compute('RegionNetworkEndpointGroupsClient').get({ project: PROJECT, region: REGION, networkEndpointGroup: 'slow-neg' });
    expect(neg.cloudRun).toMatchObject({ service: 'slow', tag: 'blue' });
  });

  it('completes on the simulated clock when it is advanced', async () => {
    const c = env.clients;
    const op = opOf(await c.compute('GlobalAddressesClient').insert({ project: PROJECT, addressResource: { name: 'clock-ip' } }));
    expect(op.status).toBe('RUNNING');
    await admin('clock/advance', { seconds: 3 });
    const [polled] = await c.compute('GlobalOperationsClient').get({ project: PROJECT, operation: op.name });
    expect(polled.status).toBe('DONE');
  });

  it('fails an operation by fault injection: DONE with error.errors[], nothing applied', async () => {
    const c = env.clients;
    await admin('faults', { method: 'GlobalAddresses.Insert', code: 'UNAVAILABLE', operation: true, times: 1 });
    const final = await waitOp(c, await c.compute('GlobalAddressesClient').insert({ project: PROJECT, addressResource: { name: 'faulty-ip' } }));
    expect(final.status).toBe('DONE');
    expect(final.error?.errors?.[0]?.code).toBe('SERVICE_UNAVAILABLE');
    expect(final.httpErrorStatusCode).toBe(503);
    expect((await statusOf(c.compute('GlobalAddressesClient').get({ project: PROJECT, address: 'faulty-ip' }))).code).toBe(404);

    // The rule fired once: the retry succeeds.
    const ok = await waitOp(c, await c.compute('GlobalAddressesClient').insert({ project: PROJECT, addressResource: { name: 'faulty-ip' } }));
    expect(ok.error ?? null).toBeNull();
  });

  it('fails a call by fault injection with the HTTP status and counts calls by method', async () => {
    const c = env.clients;
    await admin('stats/reset', {});
    await admin('faults', { method: 'GlobalAddresses.Insert', code: 'PERMISSION_DENIED', times: 1 });
    const failed = await statusOf(c.compute('GlobalAddressesClient').insert({ project: PROJECT, addressResource: { name: 'unlucky-ip' } }));
    expect(failed.code).toBe(403);
    expect(failed.body.error.code).toBe(403);

    // The REST transport retries 5xx by itself (even POST), so one injected 503 costs a second call.
    await admin('faults', { method: 'GlobalAddresses.Get', code: 503, times: 1 });
    const [ip] = await c.compute('GlobalAddressesClient').get({ project: PROJECT, address: 'slow-ip' });
    expect(ip.name).toBe('slow-ip');
    const stats = await admin('stats');
    expect(stats.calls['GlobalAddresses.Insert']).toBe(1);
    expect(stats.calls['GlobalAddresses.Get']).toBe(2);
    expect(stats.writes).toBe(1);
    expect(stats.reads).toBe(2);
  });
});
