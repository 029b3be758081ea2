/**
 * Creates of server-named objects: never repeated blindly by the retry layer, looked up
 * after an unknown outcome; and the executor's judgement of a re-plan made after a
 * concurrent change (server-side apply's field conflicts as the model).
 */
import { describe, expect, it } from 'vitest';
import { createOnce, keeperFirst } from '../../controllers/slo/create-once';
import type { FieldChange } from '../../src/engine/controller';
import { compareReplan } from '../../src/engine/replan';
import { idempotentCall } from '../../src/gcp/clients';
import { retrying } from '../../src/gcp/retry';

const grpcErr = (code: number) => Object.assign(new Error(`grpc ${code}`), { code, details: `grpc ${code}` });

describe('the retry layer and non-idempotent creates', () => {
  const cases = [
    { reason: 'an alert policy create (ID assigned by the server)', api: 'monitoring', method: 'createAlertPolicy', args: [{ name: 'projects/p', alertPolicy: {} }], want: false },
    { reason: 'a channel create', api: 'monitoring', method: 'createNotificationChannel', args: [{ name: 'projects/p' }], want: false },
    { reason: 'a monitored service create without serviceId', api: 'monitoring', method: 'createService', args: [{ parent: 'projects/p', service: {} }], want: false },
    { reason: 'a monitored service create naming its ID', api: 'monitoring', method: 'createService', args: [{ parent: 'projects/p', serviceId: 's' }], want: true },
    { reason: 'an update', api: 'monitoring', method: 'updateAlertPolicy', args: [{}], want: true },
    { reason: 'a Cloud Run create (names its service)', api: 'run', method: 'createService', args: [{ serviceId: 's' }], want: true },
  ];
  it.each(cases)('$reason: idempotent=$want', ({ api, method, args, want }) => {
    expect(idempotentCall(api, method, args)).toBe(want);
  });

  const client = (err: unknown) => {
    const calls = { n: 0 };
    return {
      calls,
      c: retrying(
        { async createThing() { calls.n++; throw err; } },
        { initialMs: 1, attempts: 4 },
        { idempotent: (m) => !m.startsWith('create') },
      ),
    };
  };
  it('sends a non-idempotent call once when its deadline passes', async () => {
    const { c, calls } = client(grpcErr(4));
    await expect(c.createThing()).rejects.toMatchObject({ code: 4 });
    expect(calls.n).toBe(1);
  });
  it('retries it after RESOURCE_EXHAUSTED (refused before it ran)', async () => {
    const { c, calls } = client(grpcErr(8));
    await expect(c.createThing()).rejects.toMatchObject({ code: 8 });
    expect(calls.n).toBe(4);
  });
});

describe('createOnce', () => {
  it('looks the object up after a deadline and returns what the server made', async () => {
    let creates = 0;
    let made: { name: string } | undefined;
    const out = await createOnce({
      what: 'x',
      settleMs: [0, 1, 1, 1],
      create: async () => {
        creates++;
        setTimeout(() => (made = { name: 'late' }), 2);
        throw grpcErr(4);
      },
      lookup: async () => made,
    });
    expect(out).toEqual({ name: 'late' });
    expect(creates).toBe(1);
  });
  it('creates again only when lookups find nothing, and gives up after the attempts', async () => {
    let creates = 0;
    await expect(createOnce({ what: 'x', settleMs: [0], attempts: 2, create: async () => { creates++; throw grpcErr(14); }, lookup: async () => undefined })).rejects.toMatchObject({ code: 'ApiError' });
    expect(creates).toBe(2);
  });
  it('does not look up after a plain error', async () => {
    let lookups = 0;
    await expect(createOnce({ what: 'x', create: async () => { throw grpcErr(3); }, lookup: async () => { lookups++; return undefined; } })).rejects.toMatchObject({ code: 3 });
    expect(lookups).toBe(0);
  });
  it('every process picks the same keeper: the oldest, then the smallest name', () => {
    const t = (s: number) => ({ mutateTime: { seconds: String(s), nanos: 0 } });
    const objs = [{ name: 'b', creationRecord: t(2) }, { name: 'c', creationRecord: t(1) }, { name: 'a', creationRecord: t(2) }];
    expect(keeperFirst(objs).map((o) => o.name)).toEqual(['c', 'a', 'b']);
  });
});

describe('compareReplan', () => {
  const ch = (path: string, old: unknown, nu: unknown, op: FieldChange['op'] = 'replace'): FieldChange => ({ path, op, old, new: nu });
  const update = (...changes: FieldChange[]) => ({ action: 'update' as const, changes });
  const cases = [
    { reason: 'the other writer touched fields we do not manage: the same change is written', before: update(ch('spec.image', 'x:1', 'x:2')), after: update(ch('spec.image', 'x:1', 'x:2')), want: 'write' },
    { reason: 'the other writer already made our change: nothing to write', before: update(ch('spec.image', 'x:1', 'x:2')), after: { action: 'noop' as const, changes: [] }, want: 'done' },
    { reason: 'the other writer made part of our change: the rest is written', before: update(ch('spec.image', 'x:1', 'x:2'), ch('spec.port', 80, 81)), after: update(ch('spec.port', 80, 81)), want: 'write' },
    { reason: 'the other writer set our field to another value: conflict', before: update(ch('spec.image', 'x:1', 'x:2')), after: update(ch('spec.image', 'x:3', 'x:2')), want: 'conflict' },
    { reason: 'the other writer changed a field the plan left alone: conflict', before: update(ch('spec.image', 'x:1', 'x:2')), after: update(ch('spec.image', 'x:1', 'x:2'), ch('spec.port', 9090, 8080)), want: 'conflict' },
    { reason: 'a create that found the object with fields still unset: written', before: { action: 'create' as const, changes: [ch('spec.image', undefined, 'x:1', 'add')] }, after: update(ch('spec.port', undefined, 8080, 'add')), want: 'write' },
    { reason: 'a create that found the object with another value: conflict', before: { action: 'create' as const, changes: [ch('spec.image', undefined, 'x:1', 'add')] }, after: update(ch('spec.image', 'x:9', 'x:1')), want: 'conflict' },
  ];
  it.each(cases)('$reason', ({ before, after, want }) => {
    expect(compareReplan('Service/s', before, after).kind).toBe(want);
  });
  it('names the field, its current value and what the plan expected', () => {
    const v = compareReplan('Service/s', update(ch('spec.image', 'x:1', 'x:2')), update(ch('spec.image', 'x:3', 'x:2')));
    expect(v.kind === 'conflict' && v.message).toBe('another writer changed Service/s since the plan: spec.image is now "x:3" (plan expected "x:1"); nothing was written; re-run to plan again');
  });
});
