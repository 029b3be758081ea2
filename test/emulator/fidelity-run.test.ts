/**
 * Cloud Run v2: the emulator answers like Google where recorded real-API exchanges showed
 * it did not (issue 13, differences 4-7). One table; every case runs through the real
 * `@google-cloud/run` client at the emulator's default (zero) latency. Facts and sources:
 * src/emulator/spec/cloud-run.md.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../src/emulator/server';
import { Clients } from '../../src/gcp/clients';

const PARENT = 'projects/p/locations/europe-north1';
const IMAGE = 'europe-north1-docker.pkg.dev/p/repo/app:1';
const PROJECT_NUMBER = '123456789012';

type RunServices = ReturnType<Clients['runServices']>;
interface Ctx {
  emu: RunningEmulator;
  services: RunServices;
  revisions: ReturnType<Clients['runRevisions']>;
  /** A fresh service id per case. */
  id: string;
}

/** A protobufjs message as proto3 JSON (defaults omitted, enums and int64 as strings). */
function json(message: unknown): Record<string, any> {
  return (message as { toJSON(): Record<string, any> }).toJSON();
}

async function create(c: Ctx, service: Record<string, any> = {}) {
  const [op] = await c.services.createService({ parent: PARENT, serviceId: c.id, service: { template: { containers: [{ image: IMAGE }] }, ...service } });
  return op;
}

async function calls(c: Ctx): Promise<Record<string, number>> {
  return ((await (await fetch(`http://${c.emu.http}/__emulator/stats`)).json()) as { calls: Record<string, number> }).calls;
}

interface Case {
  difference: number;
  name: string;
  run(c: Ctx): Promise<void>;
}

const CASES: Case[] = [
  {
    difference: 4,
    name: 'CreateService answers an unfinished operation whose metadata is the pending service',
    async run(c) {
      const op = await create(c);
      expect(op.latestResponse.done).toBeFalsy();
      const md = json(op.metadata);
      expect(md.reconciling).toBe(true);
      expect(md.terminalCondition).toEqual({ state: 'CONDITION_PENDING' });
      expect(md.urls).toEqual([`https://${c.id}-${PROJECT_NUMBER}.europe-north1.run.app`]);
      for (const absent of ['uid', 'ingress', 'conditions', 'latestCreatedRevision', 'observedGeneration', 'uri']) expect(md[absent], absent).toBeUndefined();
      expect(md.generation).toBe('1');
      const [done] = await op.promise();
      expect(done.uid).toBeTruthy();
      expect(json(done).terminalCondition).toMatchObject({ type: 'Ready', state: 'CONDITION_SUCCEEDED' });
    },
  },
  {
    difference: 4,
    name: 'UpdateService answers an unfinished operation',
    async run(c) {
      await (await create(c)).promise();
      const [op] = await c.services.updateService({ service: { name: `${PARENT}/services/${c.id}`, template: { containers: [{ image: `${IMAGE}b` }] } } });
      expect(op.latestResponse.done).toBeFalsy();
      expect(json(op.metadata).reconciling).toBe(true);
      const [done] = await op.promise();
      expect(json(done).observedGeneration).toBe('2');
    },
  },
  {
    difference: 4,
    name: 'DeleteRevision answers an unfinished operation',
    async run(c) {
      await (await create(c)).promise();
      await (await c.services.updateService({ service: { name: `${PARENT}/services/${c.id}`, template: { containers: [{ image: `${IMAGE}b` }] }, traffic: [{ type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST', percent: 100 }] } }))[0].promise();
      const [revs] = await c.revisions.listRevisions({ parent: `${PARENT}/services/${c.id}` });
      const old = revs.find((r) => r.name !== revs[0].name && !(r.conditions ?? []).some((x) => x.type === 'Active'));
      const [op] = await c.revisions.deleteRevision({ name: old?.name ?? revs[revs.length - 1].name });
      expect(op.latestResponse.done).toBeFalsy();
      await op.promise();
    },
  },
  {
    difference: 4,
    name: "runctl's waiting code reads each operation once (WaitOperation), never polling GetOperation",
    async run(c) {
      const before = await calls(c);
      await (await create(c)).promise();
      await (await c.services.deleteService({ name: `${PARENT}/services/${c.id}` }))[0].promise();
      const after = await calls(c);
      const delta = (m: string) => (after[m] ?? 0) - (before[m] ?? 0);
      expect(delta('Operations.WaitOperation')).toBe(2);
      expect(delta('Operations.GetOperation')).toBe(0);
    },
  },
  {
    difference: 5,
    name: 'DeleteService bumps generation: 2/1 reconciling while deleting, observedGeneration 2 when done',
    async run(c) {
      await (await create(c)).promise();
      const [op] = await c.services.deleteService({ name: `${PARENT}/services/${c.id}` });
      expect(op.latestResponse.done).toBeFalsy();
      const md = json(op.metadata);
      expect({ generation: md.generation, observedGeneration: md.observedGeneration, reconciling: md.reconciling }).toEqual({
        generation: '2',
        observedGeneration: '1',
        reconciling: true,
      });
      const [deleted] = await op.promise();
      expect(json(deleted).observedGeneration).toBe('2');
      expect(deleted.reconciling).toBeFalsy();
    },
  },
  {
    difference: 6,
    name: 'service-level scaling comes back as {maxInstanceCount: 100} when none was sent',
    async run(c) {
      const [made] = await (await create(c)).promise();
      expect(json(made).scaling).toEqual({ maxInstanceCount: 100 });
      // Echoing the service back (what a client that read it does) changes nothing.
      const [same] = await (await c.services.updateService({ service: { ...made, etag: undefined } }))[0].promise();
      expect(String(same.generation)).toBe(String(made.generation));
      expect(json(same).scaling).toEqual({ maxInstanceCount: 100 });
    },
  },
  {
    difference: 7,
    name: 'trafficStatuses entries of a LATEST target omit revision; REVISION targets name theirs',
    async run(c) {
      const [first] = await (await create(c)).promise();
      const firstId = first.latestReadyRevision!.split('/').pop()!;
      expect(json(first).trafficStatuses).toEqual([{ type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST', percent: 100 }]);
      const [split] = await (
        await c.services.updateService({
          service: {
            name: first.name,
            template: { containers: [{ image: `${IMAGE}b` }] },
            traffic: [
              { type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION', revision: firstId, percent: 50 },
              { type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST', percent: 50 },
            ],
          },
        })
      )[0].promise();
      expect(json(split).trafficStatuses).toEqual([
        { type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION', revision: firstId, percent: 50 },
        { type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST', percent: 50 },
      ]);
    },
  },
];

describe('Cloud Run answers like Google (one table, real client, zero latency)', () => {
  let emu: RunningEmulator;
  let clients: Clients;
  let n = 0;
  beforeAll(async () => {
    emu = await startEmulator({ port: 0 });
    clients = new Clients({ mode: 'emulator', grpc: emu.grpc, http: emu.http });
  });
  afterAll(async () => {
    await clients.close();
    await emu.stop();
  });

  it.each(CASES.map((c) => [`difference ${c.difference}: ${c.name}`, c] as const))('%s', async (_label, c) => {
    await c.run({ emu, services: clients.runServices(), revisions: clients.runRevisions(), id: `fid-${++n}` });
  });
});
