/**
 * Volume planning as named cases: what is created, what is a no-op, what is refused.
 */
import { describe, expect, it } from 'vitest';
import { volumeController as typed } from '../../controllers/volume';
import { withReplacements } from '../../src/engine/planner';
import type { AnyController, Observed, PlanContext } from '../../src/engine/controller';

/** As the engine holds it: any manifest, checked at run time. */
const volumeController: AnyController = typed;
import { RunctlError, type Manifest } from '../../src/engine/types';

const ctx: PlanContext = {
  target: { mode: 'emulator', description: 'test', fallbackProject: 'p', fallbackRegion: 'europe-north1' },
  set: 'default',
  statusOf: () => undefined,
  manifestOf: () => undefined,
  grantsOn: () => [],
};
const vol = (spec: Record<string, unknown>): Manifest => ({ apiVersion: 'runctl.dev/v1alpha1', kind: 'Volume', metadata: { name: 'data' }, spec });
const planOf = (spec: Record<string, unknown>, observed: Observed) => {
  const m = vol(spec);
  const id = volumeController.identify(m, ctx);
  // As the engine plans: the controller's plan, then its replaceOn rules.
  return withReplacements(volumeController, volumeController.plan({ manifest: m, id, desired: volumeController.desired({ manifest: m, id }, ctx), observed }, ctx));
};
const bucket = (gcs: Record<string, unknown>): Observed => ({ exists: true, spec: { gcs }, labels: {} });

describe('Volume plan', () => {
  const cases: Array<{ name: string; reason: string; spec: Record<string, unknown>; observed: Observed; action: string; paths?: string[]; note?: RegExp; refuse?: { path: string; reason: RegExp } }> = [
    {
      name: 'new bucket',
      reason: 'create: true and no bucket: runctl creates it',
      spec: { gcs: { bucket: 'b-1', create: true, location: 'eu' } },
      observed: { exists: false },
      action: 'create',
      note: /creates bucket b-1 in EU/,
    },
    {
      name: 'same bucket',
      reason: 'locations compare case-insensitively (the API upper-cases them)',
      spec: { gcs: { bucket: 'b-1', create: true, location: 'eu', mountOptions: ['implicit-dirs'] } },
      observed: bucket({ bucket: 'b-1', create: true, location: 'EU', mountOptions: ['implicit-dirs'] }),
      action: 'noop',
    },
    {
      name: 'location changed',
      reason: 'a bucket cannot move: the plan refuses it at plan time, naming the field (apply never sees it)',
      spec: { gcs: { bucket: 'b-1', create: true, location: 'US' } },
      observed: bucket({ bucket: 'b-1', create: true, location: 'EU' }),
      action: 'update',
      paths: ['spec.gcs.location'],
      refuse: { path: 'spec.gcs.location', reason: /refuses to replace it/ },
    },
    {
      name: 'nfs',
      reason: 'no API object: it observes as declared',
      spec: { nfs: { server: '10.0.0.2', path: '/exports' } },
      observed: { exists: true, spec: { nfs: { server: '10.0.0.2', path: '/exports' } } },
      action: 'noop',
    },
    {
      name: 'memory',
      reason: 'sizes are compared in canonical form',
      spec: { memory: { sizeLimit: '1024Mi' } },
      observed: { exists: true, spec: { memory: { sizeLimit: '1Gi' } } },
      action: 'noop',
    },
  ];
  for (const c of cases) {
    it(`${c.name}: ${c.reason}`, () => {
      const p = planOf(c.spec, c.observed);
      expect(p.action).toBe(c.action);
      if (c.paths) expect(p.changes.map((x) => x.path)).toEqual(c.paths);
      if (c.note) expect(p.notes.join(' ')).toMatch(c.note);
      if (c.refuse) {
        expect(p.refuse?.path).toBe(c.refuse.path);
        expect(p.refuse?.reason).toMatch(c.refuse.reason);
      } else expect(p.refuse).toBeUndefined();
    });
  }

  it('fails the plan when a bucket it must not create is missing', () => {
    let err: unknown;
    try {
      planOf({ gcs: { bucket: 'nope-1' } }, { exists: false });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RunctlError);
    expect((err as RunctlError).code).toBe('InvalidValue');
    expect((err as RunctlError).message).toMatch(/bucket "nope-1" does not exist.*create: true/);
  });

  it('rejects a location for a bucket it does not create', () => {
    const d = volumeController.validate!(vol({ gcs: { bucket: 'b-1', location: 'EU' } }), []);
    expect(d.map((x) => [x.code, x.path])).toEqual([['InvalidValue', 'spec.gcs.location']]);
  });
});
