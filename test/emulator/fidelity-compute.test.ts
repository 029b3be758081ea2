/**
 * Compute Engine v1: the emulator answers like Google where recorded real-API exchanges
 * showed it did not (issue 13, differences 8-10). One table; every case runs through the
 * real `@google-cloud/compute` REST clients at the emulator's default (zero) latency.
 * Facts and sources: src/emulator/spec/compute.md.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { computeEnv, done, opOf, PROJECT, REGION, type ComputeEnv } from './compute-helpers';

interface Case {
  difference: number;
  name: string;
  run(env: ComputeEnv, id: string): Promise<void>;
}

/** What a first answer must look like: RUNNING, progress 0, no endTime. */
function expectRunning(op: any, operationType: string): void {
  expect({ status: op.status, progress: op.progress ?? 0, operationType: op.operationType }).toEqual({ status: 'RUNNING', progress: 0, operationType });
  expect(op.endTime ?? undefined).toBeUndefined();
}

const CASES: Case[] = [
  {
    difference: 8,
    name: 'global insert and delete answer RUNNING (progress 0, no endTime) with operationType insert/delete',
    async run(env, id) {
      const addresses = env.clients.compute('GlobalAddressesClient');
      const inserted = await addresses.insert({ project: PROJECT, addressResource: { name: id } });
      expectRunning(opOf(inserted), 'insert');
      const final = await done(env.clients, inserted);
      expect({ status: final.status, progress: final.progress }).toEqual({ status: 'DONE', progress: 100 });
      expect(final.endTime).toBeTruthy();
      const deleted = await addresses.delete({ project: PROJECT, address: id });
      expectRunning(opOf(deleted), 'delete');
      await done(env.clients, deleted);
    },
  },
  {
    difference: 8,
    name: 'regional NEG insert and delete answer RUNNING with operationType compute.regionNetworkEndpointGroups.insert/.delete',
    async run(env, id) {
      const negs = env.clients.compute('RegionNetworkEndpointGroupsClient');
      const inserted = await negs.insert({
        project: PROJECT,
        region: REGION,
        networkEndpointGroupResource: { name: id, networkEndpointType: 'SERVERLESS', cloudRun: { service: id } },
      });
      expectRunning(opOf(inserted), 'compute.regionNetworkEndpointGroups.insert');
      await done(env.clients, inserted, REGION);
      const deleted = await negs.delete({ project: PROJECT, region: REGION, networkEndpointGroup: id });
      expectRunning(opOf(deleted), 'compute.regionNetworkEndpointGroups.delete');
      await done(env.clients, deleted, REGION);
    },
  },
];

describe('Compute answers like Google (one table, real clients, zero latency)', () => {
  let env: ComputeEnv;
  let n = 0;
  beforeAll(async () => {
    env = await computeEnv();
  });
  afterAll(async () => env?.close());

  it.each(CASES.map((c) => [`difference ${c.difference}: ${c.name}`, c] as const))('%s', async (_label, c) => {
    await c.run(env, `fid-${++n}`);
  });
});
