/**
 * Lease contention through the official Storage client against an emulator with
 * latency (so contenders' reads and writes interleave): of several contenders for a free
 * lease, or for one whose holder stopped renewing, exactly one wins in every trial; a
 * holder whose lease is overwritten learns it at its next renewal; release deletes only
 * its own generation.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../src/emulator/server';
import { Clients } from '../../src/gcp/clients';
import { Lease } from '../../src/gcp/lease';

let emu: RunningEmulator;
let clients: Clients;
const BUCKET = 'leases';
beforeAll(async () => {
  emu = await startEmulator({ port: 0, latencyMs: 15 });
  clients = new Clients({ mode: 'emulator', grpc: emu.grpc, http: emu.http }, { mode: 'emulator', description: 't', project: 'p', fallbackRegion: 'us-central1' });
  await clients.storage().createBucket(BUCKET);
});
afterAll(async () => {
  await clients?.close();
  await emu?.stop();
});

const lease = (name: string, ttlMs = 60_000) => new Lease(clients.storage(), { url: `gs://${BUCKET}/${name}`, ttlMs, set: 'default', project: 'p', command: 'test' });

async function race(name: string, n: number): Promise<{ won: Lease[]; codes: string[] }> {
  const contenders = Array.from({ length: n }, () => lease(name));
  const outcomes = await Promise.allSettled(contenders.map((l) => l.acquire({ timeoutMs: 0 })));
  const won = contenders.filter((_, i) => outcomes[i].status === 'fulfilled');
  const codes = outcomes.flatMap((o) => (o.status === 'rejected' ? [(o.reason as { code: string }).code] : []));
  return { won, codes };
}

describe('lease contention', () => {
  it('of five contenders for a free lease, exactly one wins, in every trial', async () => {
    for (let trial = 0; trial < 5; trial++) {
      const { won, codes } = await race(`free-${trial}.json`, 5);
      expect(won).toHaveLength(1);
      expect(codes).toEqual(['LeaseHeld', 'LeaseHeld', 'LeaseHeld', 'LeaseHeld']);
      await won[0].release();
    }
  });

  it('of five contenders for an expired lease, exactly one takes it over, in every trial', async () => {
    for (let trial = 0; trial < 5; trial++) {
      const name = `stale-${trial}.json`;
      const dead = lease(name, 100);
      await dead.acquire({ timeoutMs: 0 });
      // The holder "dies": it never renews; its 100 ms run out.
      await new Promise((r) => setTimeout(r, 150));
      const { won } = await race(name, 5);
      expect(won).toHaveLength(1);
      // The dead holder's release cannot delete the new holder's generation.
      await dead.release();
      const [bytes] = await clients.storage().bucket(BUCKET).file(name).download();
      expect(JSON.parse(bytes.toString()).token).toBeDefined();
      await won[0].release();
      expect((await clients.storage().bucket(BUCKET).file(name).exists())[0]).toBe(false);
    }
  });

  it('a holder whose lease is overwritten learns it at its next renewal and refuses writes', async () => {
    const holder = lease('taken.json', 300);
    await holder.acquire({ timeoutMs: 0 });
    const lost = new Promise<string>((resolve) => holder.keep(resolve));
    const f = clients.storage().bucket(BUCKET).file('taken.json');
    const [meta] = await f.getMetadata();
    await f.save(JSON.stringify({ holder: 'thief', pid: 1, since: 'x', expires: new Date(Date.now() + 60_000).toISOString(), set: 'default', project: 'p' }), {
      resumable: false,
      preconditionOpts: { ifGenerationMatch: Number(meta.generation) },
    });
    expect(await lost).toMatch(/taken by host thief, pid 1/);
    expect(holder.held).toBe(false);
    expect(() => holder.check()).toThrow(expect.objectContaining({ code: 'LeaseLost' }));
    await holder.release();
    expect((await f.exists())[0]).toBe(true);
  });
});
