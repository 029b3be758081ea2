/**
 * Saved-plan sealing and checks, without an API: the canonical JSON the digest covers,
 * what a refusal names for each kind of edit, the target check, and how values known
 * after apply are recorded and filled in.
 */
import { describe, expect, it } from 'vitest';
import type { TargetInfo } from '../../src/engine/controller';
import { PLAN_FORMAT, type Plan, type PlanEntry } from '../../src/engine/plan';
import { findReferences } from '../../src/validate/references';
import { canonicalJson, checkTarget, digestOf, pendingFields, resolvePending, sealPlan, verifySavedPlan } from '../../src/engine/saved-plan';
import { RunctlError, type Manifest } from '../../src/engine/types';

const target: TargetInfo = { mode: 'emulator', description: 'emulator at 127.0.0.1:9000', endpoint: 'grpc=127.0.0.1:9000 http=127.0.0.1:9001', fallbackProject: 'local-project', fallbackRegion: 'us-central1' };

function entry(name: string, image: string): PlanEntry {
  const manifest: Manifest = { apiVersion: 'runctl.dev/v1alpha1', kind: 'Service', metadata: { name, labels: { 'managed-by': 'runctl', 'runctl-set': 'default' } }, spec: { image } };
  return {
    key: `Service/${name}`,
    kind: 'Service',
    name,
    identity: { project: 'local-project', region: 'us-central1', name, fullName: `projects/local-project/locations/us-central1/services/${name}` },
    action: 'create',
    changes: [{ path: 'spec.image', op: 'add', new: image }],
    patch: [],
    notes: [],
    exists: false,
    dependsOn: [],
    manifest,
    desired: { image },
  };
}

function plan(): Plan {
  const entries = [entry('a', 'img:1'), entry('b', 'img:2')];
  return { format: PLAN_FORMAT, target: { mode: 'emulator', description: target.description, endpoint: target.endpoint!, projects: ['local-project'] }, set: 'default', createdAt: '2026-01-01T00:00:00Z', entries, summary: { create: 2, update: 0, replace: 0, delete: 0, noop: 0, blocked: 0, paused: 0, abandon: 0 } };
}

function refusal(fn: () => unknown): RunctlError {
  try {
    fn();
  } catch (err) {
    return err as RunctlError;
  }
  throw new Error('not refused');
}

describe('saved plans', () => {
  it('canonical JSON does not depend on key order and drops undefined', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { y: 2, x: 1 }], c: undefined } })).toBe(canonicalJson({ a: { d: [1, { x: 1, y: 2 }] }, b: 1 }));
    expect(digestOf({ a: 1 })).not.toBe(digestOf({ a: 2 }));
  });

  it('verifies an untouched sealed plan, also after a round trip through JSON with reordered keys', () => {
    const sealed = sealPlan(plan(), 'Target: x');
    expect(verifySavedPlan(JSON.parse(JSON.stringify(sealed)), 'p.json').entries).toHaveLength(2);
    // A tool that rewrites the file with its keys in another order changes no value.
    const reverse = (v: unknown): unknown =>
      Array.isArray(v) ? v.map(reverse) : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).reverse().map(([k, x]) => [k, reverse(x)])) : v;
    const reordered = reverse(JSON.parse(JSON.stringify(sealed))) as Record<string, unknown>;
    expect(Object.keys(reordered)[0]).toBe('digest');
    expect(verifySavedPlan(reordered, 'p.json').entries).toHaveLength(2);
  });

  const cases: Array<[string, (p: any) => void, RegExp]> = [
    ['desired value', (p) => (p.entries[1].desired.image = 'EVIL:666'), /the entry for Service\/b was changed/],
    ['set', (p) => (p.set = 'other'), /the set was changed/],
    ['target', (p) => (p.target.endpoint = 'grpc=127.0.0.1:1 http=127.0.0.1:2'), /the target was changed/],
    ['added entry', (p) => p.entries.push({ ...p.entries[0], key: 'Service/c' }), /an entry for Service\/c was added/],
    ['removed entry', (p) => p.entries.pop(), /the entry for Service\/b was removed/],
    ['duplicate entry', (p) => p.entries.push(p.entries[0]), /Service\/a appears twice/],
    ['createdAt', (p) => (p.createdAt = 'yesterday'), /its digest does not match/],
    ['part digests', (p) => delete p.digests, /digests are missing/],
  ];
  for (const [what, edit, reason] of cases) {
    it(`refuses an edited ${what} as PlanEdited, naming it`, () => {
      const p = JSON.parse(JSON.stringify(sealPlan(plan(), 'Target: x')));
      edit(p);
      const err = refusal(() => verifySavedPlan(p, 'p.json'));
      expect(err.code).toBe('PlanEdited');
      expect(err.message).toMatch(reason);
    });
  }

  it('refuses a plan of another endpoint, project or region as WrongTarget, and accepts its own', () => {
    const p = plan();
    expect(() => checkTarget(p, target, 'p.json')).not.toThrow();
    for (const other of [{ endpoint: 'grpc=127.0.0.1:7 http=127.0.0.1:8' }, { project: 'prod' }, { region: 'europe-west1' }, { mode: 'google' as const }]) {
      const err = refusal(() => checkTarget(p, { ...target, ...other }, 'p.json'));
      expect(err.code).toBe('WrongTarget');
      expect(err.message).toContain(target.description);
    }
  });

  it('records a field known after apply with its template and the values known then, and fills it from what the plan created', () => {
    const m: Manifest = { apiVersion: 'runctl.dev/v1alpha1', kind: 'Service', metadata: { name: 'front' }, spec: { args: ['--x', '${Service/back.status.url}/v1?region=${Service/back.spec.region}'] } };
    const lookup = (r: { kind: string; name: string; path: string }) => (r.path === 'spec.region' ? 'europe-north1' : undefined);
    const unknown = findReferences(m).filter((r) => r.path === 'status.url');
    const pending = pendingFields(m, unknown, lookup);
    expect(pending).toEqual([{ field: ['spec', 'args', 1], template: '${Service/back.status.url}/v1?region=${Service/back.spec.region}', known: { '${Service/back.spec.region}': 'europe-north1' } }]);
    const e: PlanEntry = { ...entry('front', 'img:1'), manifest: { ...m, spec: { args: ['--x', '(known after apply)/v1?region=europe-north1'] } }, pending };
    const filled = resolvePending(e, (r) => (r.path === 'status.url' ? 'https://back.run.app' : 'WRONG'));
    expect(filled.missing).toEqual([]);
    expect(filled.manifest.spec.args).toEqual(['--x', 'https://back.run.app/v1?region=europe-north1']);
    expect(resolvePending(e, () => undefined).missing).toEqual(['${Service/back.status.url}']);
  });
});
