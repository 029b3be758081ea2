/**
 * The clients under faults, through the real Google client libraries against the
 * emulator: one WaitOperation per Cloud Run operation (and polling when a server lacks
 * it), transient errors while waiting retried, and Compute mutations made idempotent by
 * a requestId that every retry of the call reuses.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../src/emulator/server';
import { Clients } from '../../src/gcp/clients';
import { isAlreadyExists } from '../../src/gcp/errors';

const parent = 'projects/p/locations/europe-north1';
const service = { template: { containers: [{ image: 'europe-north1-docker.pkg.dev/p/r/i:1' }] } };

describe('client behaviour under faults', () => {
  let emu: RunningEmulator | undefined;
  let clients: Clients | undefined;
  afterEach(async () => {
    await clients?.close();
    await emu?.stop();
  });

  async function start(operationLatencyMs = 300, initialMs = 20) {
    emu = await startEmulator({ port: 0, operationLatencyMs });
    clients = new Clients({ mode: 'emulator', grpc: emu.grpc, http: emu.http }, undefined, { initialMs, maxMs: Math.max(100, initialMs) });
    return { emu, clients };
  }
  const calls = () => emu!.core.stats.toJSON().calls;

  it('waits on an operation with one WaitOperation call, returning as soon as it is done', async () => {
    const { clients } = await start(400);
    const [op] = await clients.runServices().createService({ parent, serviceId: 'w1', service });
    const [svc] = await op.promise();
    // One WaitOperation and no GetOperation: the client waited on the server, it did not poll.
    expect((svc as any).name).toBe(`${parent}/services/w1`);
    expect(calls()['Operations.WaitOperation']).toBe(1);
    expect(calls()['Operations.GetOperation']).toBeUndefined();
  });

  it('retries transient errors while waiting instead of failing the write', async () => {
    const { emu, clients } = await start();
    emu.core.faults.push({ method: 'Operations.WaitOperation', code: 'UNAVAILABLE', times: 2 });
    const [op] = await clients.runServices().createService({ parent, serviceId: 'w2', service });
    await op.promise();
    expect(calls()['Operations.WaitOperation']).toBe(3);
  });

  it('falls back to GetOperation polling when the server does not implement WaitOperation', async () => {
    const { emu, clients } = await start();
    emu.core.faults.push({ method: 'Operations.WaitOperation', code: 'UNIMPLEMENTED' });
    const [op] = await clients.runServices().createService({ parent, serviceId: 'w3', service });
    await op.promise();
    const [op2] = await clients.runServices().createService({ parent, serviceId: 'w4', service });
    await op2.promise();
    // Asked once, then never again.
    expect(calls()['Operations.WaitOperation']).toBe(1);
    expect(calls()['Operations.GetOperation']).toBeGreaterThanOrEqual(2);
  });

  it('a failed operation rejects with its error', async () => {
    const { emu, clients } = await start();
    emu.core.faults.push({ method: 'Services.CreateService', code: 'INTERNAL', operation: true, message: 'revision failed to start' });
    const [op] = await clients.runServices().createService({ parent, serviceId: 'w5', service });
    await expect(op.promise()).rejects.toThrow(/revision failed to start/);
  });

  it('a Compute insert whose response is lost is retried with the same requestId: one resource, no 409', async () => {
    // Retries wait 300-600 ms, so the retry arrives after the first request was executed.
    const { emu, clients } = await start(0, 600);
    // The first insert is handled 400 ms after it arrives; the client gives up after
    // 150 ms. Only that first request is slow.
    emu.core.faults.push({ method: 'GlobalAddresses.Insert', code: 0, latencyMs: 400 });
    const addresses = clients.compute('GlobalAddressesClient');
    const insert = addresses.insert({ project: 'p', addressResource: { name: 'lb-ip' } }, { timeout: 150 });
    while (!calls()['GlobalAddresses.Insert']) await new Promise((r) => setTimeout(r, 5));
    emu.core.faults.length = 0;
    const [op] = await insert;
    expect((op as any).latestResponse?.operationType).toBe('insert');
    const [list] = await addresses.list({ project: 'p' });
    expect(list.map((a: any) => a.name)).toEqual(['lb-ip']);
    expect(calls()['GlobalAddresses.Insert']).toBe(2);
  });

  it('each logical insert gets its own requestId: a second insert of the same name is a real conflict', async () => {
    const { clients } = await start(0);
    const addresses = clients.compute('GlobalAddressesClient');
    await addresses.insert({ project: 'p', addressResource: { name: 'dup' } });
    const err = await addresses.insert({ project: 'p', addressResource: { name: 'dup' } }).then(() => undefined, (e: unknown) => e);
    expect(isAlreadyExists(err)).toBe(true);
  });
});
