/**
 * The engine (planner, executor, re-plan, delete guard, ownership) against fake
 * controllers built from functions over an in-memory world (test/helpers/fake-world.ts):
 * no emulator, no network. Each case names its reason; assertions are on the world
 * left behind and on the executor's results.
 */
import { describe, expect, it } from 'vitest';
import type { Controller, ResourcePlan } from '../../src/engine/controller';
import { executePlan, type ExecuteOptions, type ResourceResult } from '../../src/engine/executor';
import { LABEL_DELETION_POLICY, LABEL_MANAGED_BY, LABEL_SET, MANAGED_BY_VALUE } from '../../src/engine/ownership';
import type { Plan } from '../../src/engine/plan';
import { makePlan, type PlanOptions } from '../../src/engine/planner';
import { ANNOTATION_DELETION_POLICY, ANNOTATION_IGNORE_CHANGES, ANNOTATION_PAUSED, RunctlError, type ErrorCode, type Manifest } from '../../src/engine/types';
import { fakeController, fakeSession, FakeWorld, manifest, urlOf, type FakeHooks, type WriteEvent } from '../helpers/fake-world';

const KIND = 'Fake';
const key = (name: string) => `${KIND}/${name}`;
const owned = (set = 'default'): Record<string, string> => ({ [LABEL_MANAGED_BY]: MANAGED_BY_VALUE, [LABEL_SET]: set });
const fake = (name: string, spec: Record<string, unknown>, meta: Parameters<typeof manifest>[3] = {}): Manifest => manifest(KIND, name, spec, meta);
/** A reference to another fake resource's URL: an ordering edge. */
const urlRef = (name: string) => `\${${KIND}/${name}.status.url}`;

interface Run {
  world: FakeWorld;
  plan: Plan;
  results: Map<string, ResourceResult>;
  failed: number;
}

interface RunArgs {
  world?: FakeWorld;
  hooks?: FakeHooks;
  manifests: Manifest[];
  opts?: PlanOptions & ExecuteOptions;
  parallelism?: number;
  /** Change the world between planning and executing (another writer). */
  between?(world: FakeWorld): void;
}

/** Plan and execute `manifests` against a world through one fake controller. */
async function reconcile({ world = new FakeWorld(), hooks, manifests, opts = {}, parallelism, between }: RunArgs): Promise<Run> {
  const controllers: Controller[] = [fakeController(world, KIND, hooks)];
  const session = fakeSession(controllers, { parallelism });
  const plan = await makePlan(session, manifests, opts);
  between?.(world);
  const { results, failed } = await executePlan(session, plan, opts);
  return { world, plan, results: new Map(results.map((r) => [r.key, r])), failed };
}

/** A world holding `objects` (name -> spec and labels). */
function worldWith(objects: Record<string, { spec: Record<string, unknown>; labels?: Record<string, string>; kind?: string }>): FakeWorld {
  const w = new FakeWorld();
  for (const [name, o] of Object.entries(objects)) w.put(o.kind ?? KIND, name, o.spec, o.labels ?? owned());
  return w;
}

/** A hook that plays another writer once, on the first write of `target`. */
const onFirstWrite = (target: string, act: (w: FakeWorld) => void): FakeHooks => ({
  beforeWrite(e: WriteEvent, w: FakeWorld) {
    if (e.key === target && e.attempt === 1) act(w);
  },
});

describe('engine: dependency ordering and concurrency', () => {
  const cases = [
    {
      reason: 'a dependent is written only after its dependency, with the dependency\'s status resolved',
      manifests: [fake('app', { dbUrl: urlRef('db') }), fake('db', { size: 1 })],
      chain: ['db', 'app'],
    },
    {
      reason: 'a chain of three is written in order',
      manifests: [fake('c', { up: urlRef('b') }), fake('b', { up: urlRef('a') }), fake('a', { size: 1 })],
      chain: ['a', 'b', 'c'],
    },
  ];
  it.each(cases)('$reason', async ({ manifests, chain }) => {
    const { world, results, failed } = await reconcile({ manifests });
    expect(failed).toBe(0);
    for (let i = 1; i < chain.length; i++) {
      const depDone = world.log.findIndex((e) => e.key === key(chain[i - 1]) && e.phase === 'end');
      const started = world.log.findIndex((e) => e.key === key(chain[i]) && e.phase === 'start');
      expect(depDone).toBeGreaterThanOrEqual(0);
      expect(started).toBeGreaterThan(depDone);
      const spec = world.get(key(chain[i]))?.spec;
      expect(Object.values(spec ?? {})).toContain(urlOf(KIND, chain[i - 1]));
    }
    for (const name of chain) expect(results.get(key(name))?.outcome).toBe('applied');
  });

  const limits = [
    { reason: 'one at a time with parallelism 1', parallelism: 1, n: 5, want: 1 },
    { reason: 'at most two with parallelism 2', parallelism: 2, n: 5, want: 2 },
    { reason: 'all independents at once when parallelism allows', parallelism: 100, n: 5, want: 5 },
  ];
  it.each(limits)('independents run concurrently: $reason', async ({ parallelism, n, want }) => {
    const manifests = Array.from({ length: n }, (_, i) => fake(`r${i}`, { i }));
    const { world, failed } = await reconcile({ manifests, parallelism });
    expect(failed).toBe(0);
    expect(world.objects.size).toBe(n);
    expect(world.maxActive).toBe(want);
  });
});

describe('engine: a failure skips only its dependents', () => {
  const cases = [
    {
      reason: 'a failed write: dependents (also transitive) skipped, the independent one applied',
      hooks: { beforeWrite: (e: WriteEvent) => { if (e.key === key('db')) throw new Error('boom'); } } as FakeHooks,
      failedCode: 'ApiError',
    },
    {
      reason: 'a refused plan (ResourcePlan.refuse) blocks that resource and its dependents only',
      hooks: {
        plan: (m: Manifest, _d: Record<string, unknown>, _o: unknown, base: ResourcePlan): ResourcePlan =>
          m.spec.size === 'huge' ? { ...base, refuse: { reason: 'size huge is not offered; choose small', path: 'spec.size' } } : base,
      } as FakeHooks,
      failedCode: 'InvalidValue',
    },
  ];
  it.each(cases)('$reason', async ({ hooks, failedCode }) => {
    const manifests = [fake('db', { size: 'huge' }), fake('app', { dbUrl: urlRef('db') }), fake('worker', { appUrl: urlRef('app') }), fake('solo', { size: 'small' })];
    const { world, results, failed } = await reconcile({ manifests, hooks });
    expect(results.get(key('db'))).toMatchObject({ outcome: 'failed', errorCode: failedCode, synced: 'ReconcileError' });
    for (const dependent of ['app', 'worker']) expect(results.get(key(dependent))).toMatchObject({ outcome: 'skipped', errorCode: 'DependencyFailed' });
    expect(results.get(key('solo'))?.outcome).toBe('applied');
    expect(failed).toBe(3);
    expect([...world.objects.keys()]).toEqual([key('solo')]);
  });

  it('a refused plan is shown as blocked with its code and path, and a custom code is kept', async () => {
    const hooks: FakeHooks = { plan: (_m, _d, _o, base) => ({ ...base, refuse: { reason: 'cannot', path: 'spec.size', code: 'Refused' } }) };
    const { plan, results, world } = await reconcile({ manifests: [fake('db', { size: 1 })], hooks });
    expect(plan.entries[0]).toMatchObject({ action: 'blocked', refused: { code: 'Refused', path: 'spec.size' } });
    expect(results.get(key('db'))).toMatchObject({ outcome: 'failed', errorCode: 'Refused' });
    expect(world.writes()).toEqual([]);
  });
});

describe('engine: conflict re-plan', () => {
  const live = { app: { spec: { image: 'v1', size: 1 } } };
  const want = fake('app', { image: 'v2', size: 1 });
  const cases: Array<{
    reason: string;
    world: () => FakeWorld;
    other: (w: FakeWorld) => void;
    outcome: ResourceResult['outcome'];
    code?: ErrorCode;
    note?: string;
    spec: Record<string, unknown>;
  }> = [
    {
      reason: 'another writer changed a field we do not manage: the same changes are written',
      world: () => worldWith(live),
      other: (w) => w.mutate(key('app'), (o) => { o.spec.extra = 'theirs'; }),
      outcome: 'applied',
      spec: { image: 'v2', size: 1, extra: 'theirs' },
    },
    {
      reason: 'another writer made our change: the re-plan is a noop, reported unchanged',
      world: () => worldWith(live),
      other: (w) => w.mutate(key('app'), (o) => { o.spec.image = 'v2'; }),
      outcome: 'unchanged',
      note: 'already applied by another writer',
      spec: { image: 'v2', size: 1 },
    },
    {
      reason: 'another writer set the field we change to another value: Conflict, nothing written',
      world: () => worldWith(live),
      other: (w) => w.mutate(key('app'), (o) => { o.spec.image = 'v3'; }),
      outcome: 'failed',
      code: 'Conflict',
      spec: { image: 'v3', size: 1 },
    },
    {
      reason: 'another writer changed a managed field the plan left alone: Conflict, nothing written',
      world: () => worldWith(live),
      other: (w) => w.mutate(key('app'), (o) => { o.spec.size = 2; }),
      outcome: 'failed',
      code: 'Conflict',
      spec: { image: 'v1', size: 2 },
    },
    {
      reason: 'a create that finds the same object made by a concurrent apply: unchanged',
      world: () => new FakeWorld(),
      other: (w) => w.put(KIND, 'app', { image: 'v2', size: 1 }, owned()),
      outcome: 'unchanged',
      note: 'created by a concurrent apply',
      spec: { image: 'v2', size: 1 },
    },
    {
      reason: 'a create that finds it made by a concurrent apply of the same set with other values: one field manager, so it is re-planned and the write says what it changed',
      world: () => new FakeWorld(),
      other: (w) => w.put(KIND, 'app', { image: 'v9', size: 1 }, owned()),
      outcome: 'applied',
      note: 'created by a concurrent apply, then updated: spec.image: "v9" → "v2"',
      spec: { image: 'v2', size: 1 },
    },
    {
      reason: 'a create that finds part of it made by a concurrent apply: writes the rest, and does not claim the create',
      world: () => new FakeWorld(),
      other: (w) => w.put(KIND, 'app', { image: 'v2' }, owned()),
      outcome: 'applied',
      note: 'created by a concurrent apply; this run wrote the rest: spec.size',
      spec: { image: 'v2', size: 1 },
    },
    {
      reason: 'a create that finds an object someone else owns: NotOwned, nothing written',
      world: () => new FakeWorld(),
      other: (w) => w.put(KIND, 'app', { image: 'v2', size: 1 }, { [LABEL_MANAGED_BY]: 'terraform' }),
      outcome: 'failed',
      code: 'NotOwned',
      spec: { image: 'v2', size: 1 },
    },
  ];
  it.each(cases)('$reason', async ({ world, other, outcome, code, note, spec }) => {
    const { results, world: w } = await reconcile({ world: world(), manifests: [want], hooks: onFirstWrite(key('app'), other) });
    const r = results.get(key('app'));
    expect(r?.outcome).toBe(outcome);
    if (code) expect(r?.errorCode).toBe(code);
    expect(r?.note).toBe(note);
    expect(w.get(key('app'))?.spec).toEqual(spec);
    // Written by us only when the outcome says so.
    expect(w.writes().length).toBe(outcome === 'applied' ? 1 : 0);
  });

  it('a writer that changes it before every write wins after conflictRetries re-plans', async () => {
    let attempts = 0;
    const hooks: FakeHooks = {
      beforeWrite(e, w) {
        attempts++;
        w.mutate(e.key, (o) => { o.spec.extra = `theirs-${e.attempt}`; });
      },
    };
    const { results, world } = await reconcile({ world: worldWith(live), manifests: [want], hooks, opts: { conflictRetries: 2 } });
    expect(results.get(key('app'))).toMatchObject({ outcome: 'failed', errorCode: 'Conflict' });
    expect(attempts).toBe(3);
    expect(world.get(key('app'))?.spec.image).toBe('v1');
  });
});

describe('engine: paused', () => {
  const paused = { [ANNOTATION_PAUSED]: 'true' };
  const cases = [
    { reason: 'an existing resource that drifted is observed, never written', world: () => worldWith({ app: { spec: { image: 'v1' } } }), action: 'paused', exists: true },
    { reason: 'an absent resource is not created', world: () => new FakeWorld(), action: 'paused', exists: false },
    { reason: 'a paused resource that matches is a plain noop', world: () => worldWith({ app: { spec: { image: 'v2' } } }), action: 'noop', exists: true },
  ];
  it.each(cases)('$reason', async ({ world, action, exists }) => {
    const w = world();
    const before = structuredClone(w.get(key('app')));
    const { plan, results } = await reconcile({ world: w, manifests: [fake('app', { image: 'v2' }, { annotations: paused })] });
    expect(w.observes.get(key('app'))).toBeGreaterThan(0);
    expect(plan.entries[0].action).toBe(action);
    expect(results.get(key('app'))).toMatchObject({ outcome: action === 'paused' ? 'paused' : 'unchanged', synced: action === 'paused' ? 'ReconcilePaused' : 'ReconcileSuccess' });
    expect(w.writes()).toEqual([]);
    expect(w.get(key('app'))).toEqual(exists ? before : undefined);
  });

  it('a refusal on a paused resource is only a note: nothing is blocked or written', async () => {
    const hooks: FakeHooks = { plan: (_m, _d, _o, base) => ({ ...base, refuse: { reason: 'cannot', path: 'spec.image' } }) };
    const { plan, results, world } = await reconcile({ manifests: [fake('app', { image: 'v2' }, { annotations: paused })], hooks });
    expect(plan.entries[0].action).toBe('paused');
    expect(plan.entries[0].notes.join('\n')).toContain('would be refused');
    expect(results.get(key('app'))?.outcome).toBe('paused');
    expect(world.writes()).toEqual([]);
  });
});

describe('engine: ignore-changes', () => {
  const ignore = { annotations: { [ANNOTATION_IGNORE_CHANGES]: 'spec.replicas' } };
  const cases = [
    {
      reason: 'the ignored field keeps its live value while the others are written',
      world: () => worldWith({ app: { spec: { image: 'v1', replicas: 5 } } }),
      spec: { image: 'v2', replicas: 2 },
      outcome: 'applied',
      want: { image: 'v2', replicas: 5 },
      planned: ['spec.image'],
    },
    {
      reason: 'on create the ignored field is set from the manifest',
      world: () => new FakeWorld(),
      spec: { image: 'v2', replicas: 2 },
      outcome: 'applied',
      want: { image: 'v2', replicas: 2 },
      planned: ['spec.image', 'spec.replicas'],
    },
    {
      reason: 'a difference only in the ignored field is no change',
      world: () => worldWith({ app: { spec: { image: 'v2', replicas: 5 } } }),
      spec: { image: 'v2', replicas: 2 },
      outcome: 'unchanged',
      want: { image: 'v2', replicas: 5 },
      planned: [],
    },
  ];
  it.each(cases)('$reason', async ({ world, spec, outcome, want, planned }) => {
    const { results, world: w, plan } = await reconcile({ world: world(), manifests: [fake('app', spec, ignore)] });
    expect(plan.entries[0].changes.map((c) => c.path)).toEqual(planned);
    expect(results.get(key('app'))?.outcome).toBe(outcome);
    expect(w.get(key('app'))?.spec).toEqual(want);
  });
});

describe('engine: deletion-policy abandon', () => {
  const abandon = { annotations: { [ANNOTATION_DELETION_POLICY]: 'abandon' } };
  it('a resource created with deletion-policy abandon carries the abandon marker', async () => {
    const { world } = await reconcile({ manifests: [fake('keep', { a: 1 }, abandon)] });
    expect(world.get(key('keep'))?.labels).toMatchObject({ ...owned(), [LABEL_DELETION_POLICY]: 'abandon' });
  });

  const cases = [
    {
      reason: 'runctl delete: abandon stops managing it and deletes nothing; the other one is deleted',
      manifests: [fake('keep', { a: 1 }, abandon), fake('gone', { a: 1 })],
      opts: { destroy: true },
    },
    {
      reason: '--prune: an orphan marked abandon is left alone; the unmarked orphan is deleted',
      manifests: [],
      opts: { prune: true },
    },
  ];
  it.each(cases)('$reason', async ({ manifests, opts }) => {
    const world = worldWith({ keep: { spec: { a: 1 }, labels: { ...owned(), [LABEL_DELETION_POLICY]: 'abandon' } }, gone: { spec: { a: 1 } } });
    const { plan, results } = await reconcile({ world, manifests, opts });
    expect(plan.entries.find((e) => e.key === key('keep'))?.action).toBe('abandon');
    expect(results.get(key('gone'))?.outcome).toBe('applied');
    expect([...world.objects.keys()]).toEqual([key('keep')]);
    expect(world.writes()).toEqual([`delete ${key('gone')}`]);
  });
});

describe('engine: prune ownership', () => {
  const objects = [
    { reason: 'owned by the set and named by a manifest: kept', name: 'named', labels: owned(), kept: true },
    { reason: 'owned by the set and named by no manifest: pruned', name: 'orphan', labels: owned(), kept: false },
    { reason: 'owned by another runctl set: never deleted', name: 'blue', labels: owned('blue'), kept: true },
    { reason: 'managed by another tool: never deleted', name: 'tf', labels: { [LABEL_MANAGED_BY]: 'terraform', [LABEL_SET]: 'default' }, kept: true },
    { reason: 'no labels at all: never deleted', name: 'bare', labels: {}, kept: true },
    { reason: 'a set label without the managed-by marker: never deleted', name: 'half', labels: { [LABEL_SET]: 'default' }, kept: true },
  ];
  it.each(objects)('$reason', async ({ name, kept }) => {
    const world = new FakeWorld();
    for (const o of objects) world.put(KIND, o.name, { a: 1 }, o.labels);
    const { results, failed } = await reconcile({ world, manifests: [fake('named', { a: 1 })], opts: { prune: true } });
    expect(failed).toBe(0);
    expect(world.objects.has(key(name))).toBe(kept);
    expect(world.writes()).toEqual([`delete ${key('orphan')}`]);
    if (!kept) expect(results.get(key(name))).toMatchObject({ action: 'delete', outcome: 'applied' });
  });
});

describe('engine: the delete guard', () => {
  const cases: Array<{ reason: string; opts: PlanOptions; manifests: Manifest[]; between?: (w: FakeWorld) => void; hooks?: FakeHooks; outcome: ResourceResult['outcome']; code?: ErrorCode; kept: boolean }> = [
    { reason: 'prune: untouched since the plan: deleted', opts: { prune: true }, manifests: [], outcome: 'applied', kept: false },
    {
      reason: 'prune: relabelled to another set between plan and delete: NotOwned, not deleted',
      opts: { prune: true },
      manifests: [],
      between: (w) => w.mutate(key('old'), (o) => { o.labels = owned('blue'); }),
      outcome: 'failed',
      code: 'NotOwned',
      kept: true,
    },
    {
      reason: 'prune: taken over by another tool while being deleted (the etag precondition fails): NotOwned, not deleted',
      opts: { prune: true },
      manifests: [],
      hooks: onFirstWrite(key('old'), (w) => w.mutate(key('old'), (o) => { o.labels = { [LABEL_MANAGED_BY]: 'terraform' }; })),
      outcome: 'failed',
      code: 'NotOwned',
      kept: true,
    },
    {
      reason: 'prune: changed but still owned since the plan: Conflict, not deleted',
      opts: { prune: true },
      manifests: [],
      between: (w) => w.mutate(key('old'), (o) => { o.spec.a = 2; }),
      outcome: 'failed',
      code: 'Conflict',
      kept: true,
    },
    {
      reason: 'prune: already gone since the plan: unchanged, nothing deleted',
      opts: { prune: true },
      manifests: [],
      between: (w) => { w.objects.delete(key('old')); },
      outcome: 'unchanged',
      kept: false,
    },
    {
      reason: 'runctl delete: relabelled between plan and delete: NotOwned, not deleted',
      opts: { destroy: true },
      manifests: [fake('old', { a: 1 })],
      between: (w) => w.mutate(key('old'), (o) => { o.labels = { [LABEL_MANAGED_BY]: 'terraform' }; }),
      outcome: 'failed',
      code: 'NotOwned',
      kept: true,
    },
  ];
  it.each(cases)('$reason', async ({ opts, manifests, between, hooks, outcome, code, kept }) => {
    const world = worldWith({ old: { spec: { a: 1 } } });
    const { plan, results } = await reconcile({ world, manifests, opts, between, hooks });
    expect(plan.entries.find((e) => e.key === key('old'))?.action).toBe('delete');
    const r = results.get(key('old'));
    expect(r?.outcome).toBe(outcome);
    if (code) expect(r?.errorCode).toBe(code);
    expect(world.objects.has(key('old'))).toBe(kept);
    expect(world.writes()).toEqual(kept || outcome === 'unchanged' ? [] : [`delete ${key('old')}`]);
  });
});

describe('engine: adopt', () => {
  const cases = [
    { reason: 'an unlabelled object is blocked without --adopt', labels: { team: 'x' }, adopt: false },
    { reason: "another set's object is blocked without --adopt", labels: owned('blue'), adopt: false },
    { reason: 'another tool\'s object is blocked without --adopt', labels: { [LABEL_MANAGED_BY]: 'terraform' }, adopt: false },
    { reason: 'an unlabelled object is labelled and managed with --adopt, its other labels kept', labels: { team: 'x' }, adopt: true },
  ];
  it.each(cases)('$reason', async ({ labels, adopt }) => {
    const world = new FakeWorld();
    const theirs = world.put(KIND, 'app', { image: 'v1' }, labels);
    const manifests = [fake('app', { image: 'v2' }), fake('other', { image: 'v1' })];
    if (!adopt) {
      const session = fakeSession([fakeController(world, KIND)]);
      const plan = await makePlan(session, manifests);
      expect(plan.entries.find((e) => e.key === key('app'))?.action).toBe('blocked');
      const err = await executePlan(session, plan).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RunctlError);
      expect((err as RunctlError).code).toBe('NotOwned');
      // An ownership block holds the whole set back: nothing at all is written.
      expect(world.writes()).toEqual([]);
      expect(world.get(key('app'))).toEqual(theirs);
      return;
    }
    const { plan, results } = await reconcile({ world, manifests, opts: { adopt: true } });
    expect(plan.entries.find((e) => e.key === key('app'))).toMatchObject({ action: 'update', adopt: true });
    expect(results.get(key('app'))?.outcome).toBe('applied');
    expect(world.get(key('app'))).toMatchObject({ spec: { image: 'v2' }, labels: { ...labels, ...owned() } });
  });

  const foreign = [
    { reason: 'an unlabelled object', labels: { team: 'x' } },
    { reason: "another set's object", labels: owned('blue') },
    { reason: "another tool's object", labels: { [LABEL_MANAGED_BY]: 'terraform' } },
  ];
  it.each(foreign)('$reason that matches the manifest is unchanged and marked unowned: nothing is written, nothing is held back', async ({ labels }) => {
    const world = new FakeWorld();
    const theirs = world.put(KIND, 'app', { image: 'v1' }, labels);
    const { plan, results } = await reconcile({ world, manifests: [fake('app', { image: 'v1' }), fake('other', { image: 'v1' })] });
    const entry = plan.entries.find((e) => e.key === key('app'));
    expect(entry).toMatchObject({ action: 'noop', unowned: { adoptable: true } });
    expect(entry?.adopt).toBeUndefined();
    expect(results.get(key('app'))).toMatchObject({ outcome: 'unchanged', note: expect.stringContaining('not written') });
    expect(results.get(key('other'))?.outcome).toBe('applied');
    expect(world.writes()).toEqual([`create ${key('other')}`]);
    expect(world.get(key('app'))).toEqual(theirs);
  });

  it('an unowned object missing a label the manifest declares differs: blocked', async () => {
    const world = new FakeWorld();
    world.put(KIND, 'app', { image: 'v1' }, { team: 'x' });
    const session = fakeSession([fakeController(world, KIND)]);
    const plan = await makePlan(session, [fake('app', { image: 'v1' }, { labels: { team: 'y' } })]);
    expect(plan.entries[0].action).toBe('blocked');
  });

  it('a kind whose labels cannot change in place: --adopt of a matching object writes nothing; a differing one is re-created only with --adopt', async () => {
    const world = new FakeWorld();
    world.put(KIND, 'app', { image: 'v1' }, {});
    const controller = { ...fakeController(world, KIND), labelsInPlace: false };
    const session = fakeSession([controller]);
    const plan = await makePlan(session, [fake('app', { image: 'v1' })], { adopt: true });
    expect(plan.entries[0]).toMatchObject({ action: 'noop', unowned: { adoptable: false } });
    await executePlan(session, plan, { adopt: true });
    expect(world.writes()).toEqual([]);
    const differing = await makePlan(fakeSession([controller]), [fake('app', { image: 'v2' })]);
    expect(differing.entries[0].action).toBe('blocked');
  });

  it('an unowned entry of a saved plan is executed as recorded: no write, no take-over, not stale', async () => {
    const world = new FakeWorld();
    world.put(KIND, 'app', { image: 'v1' }, { team: 'x' });
    const session = fakeSession([fakeController(world, KIND)]);
    const plan = await makePlan(session, [fake('app', { image: 'v1' })]);
    const { results } = await executePlan(fakeSession([fakeController(world, KIND)]), plan, { recorded: true, checkEtags: true, adopt: true });
    expect(results[0]).toMatchObject({ outcome: 'unchanged' });
    expect(world.writes()).toEqual([]);
    expect(world.get(key('app'))?.labels).toEqual({ team: 'x' });
  });

  it('--adopt with nothing else to change still writes the ownership labels', async () => {
    const world = worldWith({ app: { spec: { image: 'v1' }, labels: {} } });
    const { plan, world: w } = await reconcile({ world, manifests: [fake('app', { image: 'v1' })], opts: { adopt: true } });
    expect(plan.entries[0].action).toBe('update');
    expect(w.get(key('app'))?.labels).toEqual(owned());
  });
});

describe('engine: values still unknown when a dependent is written', () => {
  const cases = [
    {
      reason: 'a dependency paused while absent: the dependent fails with DependencyFailed instead of writing "(known after apply)"',
      world: () => new FakeWorld(),
      code: 'DependencyFailed',
      outcome: 'failed',
    },
    {
      reason: 'a dependency paused but present: its live status resolves the reference and the dependent is written',
      world: () => worldWith({ db: { spec: { a: 1 } } }),
      code: undefined,
      outcome: 'applied',
    },
  ];
  it.each(cases)('$reason', async ({ world, code, outcome }) => {
    const manifests = [fake('db', { a: 2 }, { annotations: { [ANNOTATION_PAUSED]: 'true' } }), fake('app', { dbUrl: urlRef('db') })];
    const { results, world: w } = await reconcile({ world: world(), manifests });
    expect(results.get(key('db'))?.outcome).toBe('paused');
    expect(results.get(key('app'))?.outcome).toBe(outcome);
    expect(results.get(key('app'))?.errorCode).toBe(code);
    expect(w.get(key('app'))?.spec).toEqual(outcome === 'applied' ? { dbUrl: urlOf(KIND, 'db') } : undefined);
    expect(w.get(key('db'))?.spec).toEqual(outcome === 'applied' ? { a: 1 } : undefined);
  });
});

describe('engine: deletion order', () => {
  it('runctl delete removes a dependent before what it depends on', async () => {
    const world = worldWith({ db: { spec: { a: 1 } }, app: { spec: { dbUrl: urlOf(KIND, 'db') } } });
    const manifests = [fake('db', { a: 1 }), fake('app', { dbUrl: urlRef('db') })];
    const { results, failed } = await reconcile({ world, manifests, opts: { destroy: true } });
    expect(failed).toBe(0);
    expect(world.writes()).toEqual([`delete ${key('app')}`, `delete ${key('db')}`]);
    expect(world.log.findIndex((e) => e.key === key('db'))).toBeGreaterThan(world.log.findIndex((e) => e.key === key('app') && e.phase === 'end'));
    expect(results.get(key('db'))?.outcome).toBe('applied');
  });

  it('--prune retries a delete refused as "in use" after the other deletions of its wave', async () => {
    const world = worldWith({ db: { spec: { a: 1 } }, app: { spec: { a: 1 } } });
    let refusals = 0;
    const hooks: FakeHooks = {
      beforeWrite(e, w) {
        if (e.key === key('db') && w.objects.has(key('app'))) {
          refusals++;
          throw new Error(`${key('db')} is in use by ${key('app')}`);
        }
      },
    };
    const { results, failed } = await reconcile({ world, manifests: [], opts: { prune: true }, hooks, parallelism: 1 });
    expect(refusals).toBe(1);
    expect(failed).toBe(0);
    expect(world.objects.size).toBe(0);
    expect(results.get(key('db'))?.outcome).toBe('applied');
  });
});

describe('engine: an abort', () => {
  it('lets the write in flight finish and starts nothing new', async () => {
    const abort = new AbortController();
    const hooks: FakeHooks = { beforeWrite: () => abort.abort() };
    const manifests = Array.from({ length: 4 }, (_, i) => fake(`r${i}`, { i }));
    const { results, world, failed } = await reconcile({ manifests, hooks, parallelism: 1, opts: { signal: abort.signal } });
    expect(world.objects.size).toBe(1);
    expect([...results.values()].filter((r) => r.outcome === 'applied')).toHaveLength(1);
    expect([...results.values()].filter((r) => r.errorCode === 'Aborted')).toHaveLength(3);
    expect(failed).toBe(3);
  });
});

describe('engine: a dependent that could not be deleted', () => {
  it('keeps what it depends on (runctl delete never removes a dependency still in use by a resource it failed to delete)', async () => {
    const world = worldWith({ db: { spec: { a: 1 } }, app: { spec: { dbUrl: urlOf(KIND, 'db') } } });
    const manifests = [fake('db', { a: 1 }), fake('app', { dbUrl: urlRef('db') })];
    const between = (w: FakeWorld) => w.mutate(key('app'), (o) => { o.labels = { [LABEL_MANAGED_BY]: 'terraform' }; });
    const { results } = await reconcile({ world, manifests, opts: { destroy: true }, between });
    expect(results.get(key('app'))).toMatchObject({ outcome: 'failed', errorCode: 'NotOwned' });
    expect(results.get(key('db'))).toMatchObject({ outcome: 'skipped', errorCode: 'DependencyFailed' });
    expect(world.objects.has(key('db'))).toBe(true);
    expect(world.writes()).toEqual([]);
  });
});

describe('engine: runctl delete and paused', () => {
  const paused = { annotations: { [ANNOTATION_PAUSED]: 'true' } };
  const cases = [
    {
      reason: 'a paused resource is not deleted; what it does not use is',
      manifests: [fake('db', { a: 1 }, paused), fake('app', { dbUrl: urlRef('db') })],
      kept: ['db'],
      outcomes: { db: 'paused', app: 'applied' },
    },
    {
      reason: 'what a paused resource depends on is kept too (it is still in use)',
      manifests: [fake('db', { a: 1 }), fake('app', { dbUrl: urlRef('db') }, paused)],
      kept: ['db', 'app'],
      outcomes: { db: 'skipped', app: 'paused' },
    },
  ];
  it.each(cases)('$reason', async ({ manifests, kept, outcomes }) => {
    const world = worldWith({ db: { spec: { a: 1 } }, app: { spec: { dbUrl: urlOf(KIND, 'db') } } });
    const { results, plan } = await reconcile({ world, manifests, opts: { destroy: true } });
    for (const [name, outcome] of Object.entries(outcomes)) expect(results.get(key(name))?.outcome).toBe(outcome);
    expect(plan.entries.filter((e) => e.action === 'paused').map((e) => e.notes)).toEqual([['paused: would delete; nothing is written']]);
    expect([...world.objects.keys()].sort()).toEqual(kept.map(key).sort());
  });
});

describe('engine: IAM grants one resource needs on another', () => {
  /**
   * A fake kind whose `spec.needs` names another fake resource it needs a role on, and
   * whose desired state lists the members others of the set granted it (`grantees`), as
   * Service merges a Schedule's run.invoker into its invokers.
   */
  function granting(world: FakeWorld): Controller<Record<string, unknown>> {
    const base = fakeController(world, KIND);
    return {
      ...base,
      grants({ manifest: m }) {
        const on = m.spec.needs;
        return typeof on === 'string' ? [{ on: key(on), role: 'roles/fake.user', member: `serviceAccount:${m.metadata.name}@p.iam.gserviceaccount.com`, from: key(m.metadata.name) }] : [];
      },
      desired(req, ctx) {
        const grantees = ctx.grantsOn(key(req.manifest.metadata.name)).map((g) => `${g.role} ${g.member}`).sort();
        return { ...base.desired(req, ctx), grantees };
      },
    };
  }

  it('the resource granted on plans the members every other resource of the set asks for, once each', async () => {
    const world = new FakeWorld();
    const session = fakeSession([granting(world)]);
    const manifests = [fake('db', { size: 1 }), fake('app', { needs: 'db' }), fake('job', { needs: 'db' })];
    const plan = await makePlan(session, manifests);
    const db = plan.entries.find((e) => e.key === key('db'))!;
    expect(db.action).toBe('create');
    const { results, failed } = await executePlan(session, plan);
    expect(failed).toBe(0);
    expect(results).toHaveLength(3);
    expect(world.objects.get(key('db'))!.spec.grantees).toEqual([
      'roles/fake.user serviceAccount:app@p.iam.gserviceaccount.com',
      'roles/fake.user serviceAccount:job@p.iam.gserviceaccount.com',
    ]);
  });

  it('grants come from the whole set even when only some keys are planned (watch plans what changed)', async () => {
    const world = new FakeWorld();
    const session = fakeSession([granting(world)]);
    session.addManifests([fake('app', { needs: 'db' })]);
    const plan = await makePlan(session, [fake('db', { size: 1 })]);
    expect(plan.entries.map((e) => e.key)).toEqual([key('db')]);
    await executePlan(session, plan);
    expect(world.objects.get(key('db'))!.spec.grantees).toEqual(['roles/fake.user serviceAccount:app@p.iam.gserviceaccount.com']);
  });

  it('a grant lives as long as the resource asking for it is in the set', async () => {
    const world = new FakeWorld();
    await reconcileWith(world, [fake('db', { size: 1 }), fake('app', { needs: 'db' })]);
    expect(world.objects.get(key('db'))!.spec.grantees).toHaveLength(1);
    const session = fakeSession([granting(world)]);
    const plan = await makePlan(session, [fake('db', { size: 1 })]);
    const db = plan.entries.find((e) => e.key === key('db'))!;
    expect(db.action).toBe('update');
    expect(db.changes.map((c) => [c.path, c.op])).toEqual([['spec.grantees.0', 'remove']]);
    await executePlan(session, plan);
    expect(world.objects.get(key('db'))!.spec.grantees).toEqual([]);
  });

  async function reconcileWith(world: FakeWorld, manifests: Manifest[]): Promise<void> {
    const session = fakeSession([granting(world)]);
    const { failed } = await executePlan(session, await makePlan(session, manifests));
    expect(failed).toBe(0);
  }
});
