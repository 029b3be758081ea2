/**
 * Conformance: Compute state persists across emulator restarts (`--state DIR`): resources,
 * operations (pending ones are completed on shutdown) and the address allocator.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { computeEnv, done, labelAddress, opOf, PROJECT } from './compute-helpers';

describe('compute: persisted state', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'runctl-compute-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('keeps resources, operations and allocated IPs across a restart', async () => {
    const first = await computeEnv({ stateDir: dir });
    const c1 = first.clients;
    await done(c1, await c1.compute('GlobalAddressesClient').insert({ project: PROJECT, addressResource: { name: 'kept-ip' } }));
    await labelAddress(c1, 'kept-ip', { app: 'x' });
    const [kept] = await c1.compute('GlobalAddressesClient').get({ project: PROJECT, address: 'kept-ip' });
    await first.close();

    const second = await computeEnv({ stateDir: dir, operationLatencyMs: 60_000 });
    const c2 = second.clients;
    const [again] = await c2.compute('GlobalAddressesClient').get({ project: PROJECT, address: 'kept-ip' });
    expect(again).toMatchObject({ id: kept.id, address: kept.address, labels: { app: 'x' }, labelFingerprint: kept.labelFingerprint });
    // Still running when the emulator stops: completed on shutdown, visible after the restart.
    const pending = opOf(await c2.compute('GlobalAddressesClient').insert({ project: PROJECT, addressResource: { name: 'late-ip' } }));
    expect(pending.status).toBe('RUNNING');
    await second.close();

    const third = await computeEnv({ stateDir: dir });
    const c3 = third.clients;
    const [op] = await c3.compute('GlobalOperationsClient').get({ project: PROJECT, operation: pending.name });
    expect(op.status).toBe('DONE');
    const [late] = await c3.compute('GlobalAddressesClient').get({ project: PROJECT, address: 'late-ip' });
    expect(late.address).not.toBe(kept.address);
    await third.close();
  });
});
