/** The one project/region resolver (src/engine/location.ts): the manifest wins. */
import { describe, expect, it } from 'vitest';
import type { TargetInfo } from '../../src/engine/controller';
import { locationOf, projectOf, regionOf } from '../../src/engine/location';
import type { Manifest } from '../../src/engine/types';

const m = (spec: Record<string, unknown>, kind = 'Service', name = 'x'): Manifest => ({ apiVersion: 'runctl.dev/v1alpha1', kind, metadata: { name }, spec });
const emulator: TargetInfo = { mode: 'emulator', description: 't', fallbackProject: 'local-project', fallbackRegion: 'us-central1' };
const withDefaults: TargetInfo = { ...emulator, project: 'flag-project', region: 'europe-west2' };

describe('projectOf / regionOf', () => {
  it.each([
    { reason: 'spec wins over the defaults', spec: { project: 'own-project', region: 'asia-south1' }, target: withDefaults, want: ['own-project', 'asia-south1'] },
    { reason: 'the defaults fill in what the spec leaves out', spec: {}, target: withDefaults, want: ['flag-project', 'europe-west2'] },
    { reason: 'the emulator fallbacks come last', spec: {}, target: emulator, want: ['local-project', 'us-central1'] },
    { reason: 'an inherited project ranks between spec and defaults', spec: {}, target: withDefaults, inherited: 'svc-project', want: ['svc-project', 'europe-west2'] },
  ])('$reason', ({ spec, target, inherited, want }) => {
    expect([projectOf(m(spec), target, inherited), regionOf(m(spec), target)]).toEqual(want);
  });

  it('no project anywhere (real Google Cloud without one) is a Usage error', () => {
    expect(() => projectOf(m({}), { mode: 'google', description: 'g', fallbackRegion: 'us-central1' })).toThrow(expect.objectContaining({ code: 'Usage' }));
  });
});

describe('locationOf (a resource another kind points at)', () => {
  const ctx = (manifests: Record<string, Manifest>, status: Record<string, string> = {}) => ({
    target: withDefaults,
    manifestOf: (k: string) => manifests[k],
    statusOf: (k: string) => (status[k] ? { fields: { region: status[k] } } : undefined),
  });

  it('uses the manifest of the set, its explicit project reported apart', () => {
    expect(locationOf('Service/a', ctx({ 'Service/a': m({ project: 'p-own-1', region: 'us-east1' }) }))).toEqual({ project: 'p-own-1', region: 'us-east1', explicitProject: 'p-own-1' });
    expect(locationOf('Service/a', ctx({ 'Service/a': m({}) }))).toEqual({ project: 'flag-project', region: 'europe-west2', explicitProject: undefined });
  });

  it('without a manifest: the live region, else the default', () => {
    expect(locationOf('Service/b', ctx({}, { 'Service/b': 'europe-north1' })).region).toBe('europe-north1');
    expect(locationOf('Service/b', ctx({})).region).toBe('europe-west2');
  });
});
