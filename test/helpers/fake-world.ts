/**
 * A fake `Controller` built from plain functions over an in-memory world: a Map of live
 * objects with labels and etags. No emulator, no network — for engine tests that assert
 * on what the planner and executor do (ordering, skips, re-plans, ownership) and on the
 * world they leave behind. The fake keeps the Controller contract: observe reads through
 * `ctx.cached` list calls, plan is pure (`diffDeclared`), apply writes with the observed
 * etag as a precondition (a stale one fails with `Conflict`, a create that finds the
 * object fails with `AlreadyExists`), delete sends the etag it is handed, list reports
 * the same etag observe does.
 */
import { isDeepStrictEqual } from 'node:util';
import type { Clients } from '../../src/gcp/clients';
import { AlreadyExists, type Controller, type Identity, type LiveResource, type Observed, type ResourcePlan } from '../../src/engine/controller';
import { diffDeclared } from '../../src/engine/diff';
import { Session } from '../../src/engine/session';
import { API_VERSION, RunctlError, type Manifest } from '../../src/engine/types';

/** One live object. */
export interface LiveObject {
  kind: string;
  name: string;
  spec: Record<string, unknown>;
  labels: Record<string, string>;
  etag: string;
}

/** A write the fake controller is about to make (what hooks see). */
export interface WriteEvent {
  op: 'create' | 'update' | 'delete';
  key: string;
  /** 1 for the first write of this key in this world, 2 for the next, ... */
  attempt: number;
}

/** The in-memory world every fake controller of a test shares. */
export class FakeWorld {
  readonly objects = new Map<string, LiveObject>();
  /** Writes made, in order: `start` when begun, `end` when the object changed. */
  readonly log: Array<{ op: WriteEvent['op']; key: string; phase: 'start' | 'end' }> = [];
  /** Reads by key (observe) and by kind (list calls that reached the world). */
  readonly observes = new Map<string, number>();
  listCalls = 0;
  /** Writes in flight now, and the most there ever were at once. */
  active = 0;
  maxActive = 0;
  private etags = 0;
  private attempts = new Map<string, number>();

  /** Put (or replace) an object as another writer would; returns it. Bumps the etag. */
  put(kind: string, name: string, spec: Record<string, unknown>, labels: Record<string, string> = {}): LiveObject {
    const o = { kind, name, spec: structuredClone(spec), labels: { ...labels }, etag: this.nextEtag() };
    this.objects.set(`${kind}/${name}`, o);
    return o;
  }

  /** Change an object as another writer would (bumps the etag). */
  mutate(key: string, change: (o: LiveObject) => void): void {
    const o = this.objects.get(key);
    if (!o) throw new Error(`no live ${key}`);
    change(o);
    o.etag = this.nextEtag();
  }

  get(key: string): LiveObject | undefined {
    return this.objects.get(key);
  }

  /** Writes that completed, as `op key`. */
  writes(): string[] {
    return this.log.filter((e) => e.phase === 'end').map((e) => `${e.op} ${e.key}`);
  }

  nextEtag(): string {
    return `e${++this.etags}`;
  }

  nextAttempt(key: string): number {
    const n = (this.attempts.get(key) ?? 0) + 1;
    this.attempts.set(key, n);
    return n;
  }
}

/** Functions a test may swap in; every one is optional. */
export interface FakeHooks {
  /**
   * Runs before each write reaches the world (after the controller started it): throw to
   * fail the write, or change the world to play a concurrent writer.
   */
  beforeWrite?(e: WriteEvent, world: FakeWorld): void | Promise<void>;
  /** Replace the plan (e.g. to refuse); `base` is the fake's own plan. */
  plan?(m: Manifest, desired: Record<string, unknown>, observed: Observed, base: ResourcePlan): ResourcePlan;
}

const PROJECT = 'p';

/** Status every live fake object reports: what `${Kind/name.status.url}` resolves to. */
export const urlOf = (kind: string, name: string): string => `https://${name}.${kind.toLowerCase()}.fake`;

/** Let other tasks run for a few turns of the event loop (so concurrent writes overlap). */
async function yieldTurns(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise<void>((r) => setImmediate(r));
}

function observation(o: LiveObject | undefined): Observed {
  if (!o) return { exists: false };
  return {
    exists: true,
    spec: structuredClone(o.spec),
    labels: { ...o.labels },
    etag: o.etag,
    raw: structuredClone(o),
    status: { fields: { url: urlOf(o.kind, o.name) }, ready: { status: 'True', reason: 'Available' } },
  };
}

/** Declared fields of `desired` written over `live` (fields the manifest leaves out stay). */
function merge(live: Record<string, unknown>, desired: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...live };
  for (const [k, v] of Object.entries(desired)) {
    const cur = out[k];
    const nested = v && typeof v === 'object' && !Array.isArray(v) && cur && typeof cur === 'object' && !Array.isArray(cur);
    out[k] = nested ? merge(cur as Record<string, unknown>, v as Record<string, unknown>) : structuredClone(v);
  }
  return out;
}

/** A fake controller for `kind` over `world`. */
export function fakeController(world: FakeWorld, kind: string, hooks: FakeHooks = {}): Controller<Record<string, unknown>> {
  const keyOfName = (name: string) => `${kind}/${name}`;
  const write = async (op: WriteEvent['op'], key: string, body: () => void): Promise<void> => {
    world.log.push({ op, key, phase: 'start' });
    world.active++;
    world.maxActive = Math.max(world.maxActive, world.active);
    try {
      await yieldTurns(3);
      await hooks.beforeWrite?.({ op, key, attempt: world.nextAttempt(key) }, world);
      body();
      world.log.push({ op, key, phase: 'end' });
    } finally {
      world.active--;
    }
  };
  const listAll = (): LiveObject[] => {
    world.listCalls++;
    return [...world.objects.values()].filter((o) => o.kind === kind).map((o) => structuredClone(o));
  };
  return {
    kind,
    schema: 'fake.schema.json',
    regional: false,
    identify(m): Identity {
      return { project: PROJECT, name: m.metadata.name, fullName: `projects/${PROJECT}/${kind.toLowerCase()}s/${m.metadata.name}` };
    },
    async observe({ id }, ctx) {
      const key = keyOfName(id.name);
      world.observes.set(key, (world.observes.get(key) ?? 0) + 1);
      const all = await ctx.cached(`fake.${kind}:${id.project}`, async () => listAll());
      return observation(all.find((o) => o.name === id.name));
    },
    desired({ manifest: m }) {
      return structuredClone(m.spec);
    },
    plan({ manifest: m, desired, observed }) {
      const { changes } = diffDeclared(desired, observed.exists ? observed.spec : {});
      const action = !observed.exists ? 'create' : changes.length ? 'update' : 'noop';
      const base: ResourcePlan = { action, changes, notes: [] };
      return hooks.plan ? hooks.plan(m, desired, observed, base) : base;
    },
    async apply({ manifest: m, desired, observed, plan }) {
      const key = keyOfName(m.metadata.name);
      const labels = m.metadata.labels ?? {};
      if (plan.action === 'create') {
        await write('create', key, () => {
          if (world.objects.has(key)) throw new AlreadyExists(`${key} already exists`);
          world.objects.set(key, { kind, name: m.metadata.name, spec: structuredClone(desired), labels: { ...labels }, etag: world.nextEtag() });
        });
      } else {
        await write('update', key, () => {
          const live = world.objects.get(key);
          if (!live || live.etag !== observed.etag) throw new RunctlError('Conflict', `${key}: etag ${observed.etag} is stale`);
          const spec = merge(live.spec, desired);
          const merged = { ...live.labels, ...labels };
          if (isDeepStrictEqual(spec, live.spec) && isDeepStrictEqual(merged, live.labels)) return;
          Object.assign(live, { spec, labels: merged, etag: world.nextEtag() });
        });
      }
      return observation(world.objects.get(key));
    },
    async delete({ id, observed }) {
      const key = keyOfName(id.name);
      await write('delete', key, () => {
        const live = world.objects.get(key);
        if (!live) return;
        if (live.etag !== observed.etag) throw new RunctlError('Conflict', `${key}: delete precondition etag ${observed.etag} failed`);
        world.objects.delete(key);
      });
    },
    async list(scopes, ctx) {
      const all = await ctx.cached(`fake.${kind}:${PROJECT}`, async () => listAll());
      return all
        .filter(() => scopes.some((s) => s.project === PROJECT))
        .map(
          (o): LiveResource => ({
            kind,
            name: o.name,
            identity: { project: PROJECT, name: o.name, fullName: `projects/${PROJECT}/${kind.toLowerCase()}s/${o.name}` },
            labels: { ...o.labels },
            spec: structuredClone(o.spec),
            etag: o.etag,
            status: { fields: { url: urlOf(kind, o.name) } },
          }),
        );
    },
  };
}

/** A session over fake controllers (nothing in it reaches Google Cloud or an emulator). */
export function fakeSession(controllers: Controller[], opts: { parallelism?: number; set?: string } = {}): Session {
  return new Session({
    controllers,
    target: { mode: 'emulator', description: 'fake world', endpoint: 'fake', project: PROJECT, fallbackRegion: 'us-central1' },
    // The fake controllers never call a client: no Clients object is needed, only its type.
    clients: undefined as unknown as Clients,
    set: opts.set,
    parallelism: opts.parallelism,
  });
}

/** A manifest of a fake kind. */
export function manifest(
  kind: string,
  name: string,
  spec: Record<string, unknown>,
  meta: { labels?: Record<string, string>; annotations?: Record<string, string> } = {},
): Manifest {
  return { apiVersion: API_VERSION, kind, metadata: { name, ...meta }, spec };
}
