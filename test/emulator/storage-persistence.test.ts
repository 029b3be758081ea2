/**
 * Buckets survive an emulator restart with a state directory, and a bucket stored by an
 * older emulator (no `generation`, no soft-delete `effectiveTime`, an empty `lifecycle`)
 * answers in today's form, the same on every restart.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { BucketMetadata } from '@google-cloud/storage';
import { startEmulator } from '../../src/emulator/server';
import { Clients } from '../../src/gcp/clients';

const BUCKET = 'old-form-bucket';

/** The stored bucket object named BUCKET, wherever the state file nests it. */
function findStored(node: unknown): Record<string, unknown> | undefined {
  if (!node || typeof node !== 'object') return undefined;
  const rec = node as Record<string, unknown>;
  if (rec.kind === 'storage#bucket' && rec.name === BUCKET) return rec;
  for (const v of Object.values(rec)) {
    const found = findStored(v);
    if (found) return found;
  }
  return undefined;
}

describe('storage: persistence', () => {
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'runctl-storage-state-'));
  const file = path.join(stateDir, 'state.json');
  afterAll(() => fs.rmSync(stateDir, { recursive: true, force: true }));

  async function session<T>(fn: (c: Clients) => Promise<T>): Promise<T> {
    const emu = await startEmulator({ port: 0, stateDir });
    const clients = new Clients({ mode: 'emulator', grpc: emu.grpc, http: emu.http }, { mode: 'emulator', description: 'test', project: 'proj-p', fallbackRegion: 'us-central1' });
    try {
      return await fn(clients);
    } finally {
      await clients.close();
      await emu.stop();
    }
  }
  const read = () => session(async (c) => (await c.storage().bucket(BUCKET).getMetadata())[0] as BucketMetadata);

  it('answers a bucket of an older state file with generation, effectiveTime and no empty lifecycle, stably', async () => {
    const created = await session(async (c) => (await c.storage().createBucket(BUCKET))[0].metadata);
    expect(await read()).toMatchObject({ generation: created.generation, softDeletePolicy: created.softDeletePolicy });

    // Rewrite the stored bucket as an older emulator kept it.
    const state = JSON.parse(fs.readFileSync(file, 'utf8'));
    const stored = findStored(state);
    expect(stored).toBeDefined();
    delete stored!.generation;
    stored!.softDeletePolicy = { retentionDurationSeconds: 0 };
    stored!.lifecycle = { rule: [] };
    fs.writeFileSync(file, JSON.stringify(state));

    const first = await read();
    const expected = {
      generation: String(BigInt(Date.parse(String(created.timeCreated))) * 1000n),
      softDeletePolicy: { retentionDurationSeconds: '0', effectiveTime: created.timeCreated },
    };
    expect(first).toMatchObject(expected);
    expect(first.lifecycle).toBeUndefined();
    expect(await read()).toMatchObject(expected);
  });
});
