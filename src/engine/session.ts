/**
 * A reconcile session: the controllers, the target, the clients, the manifests and
 * what has been observed so far. Planner and executor share it; contexts handed to
 * controllers are built here.
 */
import type { Clients } from '../gcp/clients';
import type { AnyController, ApplyContext, Grant, Identity, ObserveContext, Observed, PlanContext, ResourceStatus, TargetInfo } from './controller';
import type { EventHost } from './events';
import { silentHost } from './events';
import { DEFAULT_PARALLELISM } from './limit';
import { keyOf, RunctlError, type Manifest } from './types';

export interface SessionOptions {
  controllers: readonly AnyController[];
  target: TargetInfo;
  clients: Clients;
  /** Ownership set. @default 'default' */
  set?: string;
  /** Concurrent resources. @default DEFAULT_PARALLELISM (100) */
  parallelism?: number;
  host?: EventHost;
  /**
   * Labels written on every resource this session creates or updates, but never a
   * reason to update by themselves: they are left out of the plan's label diff (`sync`
   * records the commit it applied this way, only on the resources that commit changed).
   */
  stampLabels?: Record<string, string>;
}

export class Session {
  readonly controllers = new Map<string, AnyController>();
  readonly set: string;
  readonly parallelism: number;
  readonly host: EventHost;
  /** Desired manifests by key (references unresolved). */
  readonly manifests = new Map<string, Manifest>();
  /** Latest observation by key. */
  readonly observed = new Map<string, Observed>();
  /** Identities by key. */
  readonly identities = new Map<string, Identity>();
  private cache = new Map<string, Promise<unknown>>();
  /** Grants by the key of the resource they are on (see `collectGrants`). */
  private grants = new Map<string, Grant[]>();
  private collecting?: Promise<void>;

  constructor(readonly options: SessionOptions) {
    for (const c of options.controllers) this.controllers.set(c.kind, c);
    this.set = options.set ?? 'default';
    this.parallelism = Math.max(1, options.parallelism ?? DEFAULT_PARALLELISM);
    this.host = options.host ?? silentHost;
  }

  get target(): TargetInfo {
    return this.options.target;
  }

  get clients(): Clients {
    return this.options.clients;
  }

  controllerFor(kind: string): AnyController {
    const c = this.controllers.get(kind);
    if (!c) throw new RunctlError('UnknownKind', `no controller for kind ${kind}`);
    return c;
  }

  addManifests(ms: Manifest[]): void {
    let added = false;
    for (const m of ms) {
      if (this.manifests.get(keyOf(m)) !== m) added = true;
      this.manifests.set(keyOf(m), m);
    }
    if (added) this.collecting = undefined;
  }

  /**
   * Ask every manifest of the session (the whole set, not only the planned keys) which
   * IAM grants it needs on others, once per manifest set: `planContext().grantsOn(key)`
   * answers from this. `resolve` resolves a manifest's references as far as known.
   */
  collectGrants(resolve: (m: Manifest) => Manifest): Promise<void> {
    this.collecting ??= (async () => {
      const byTarget = new Map<string, Grant[]>();
      const ctx = this.observeContext();
      for (const m of [...this.manifests.values()].sort((a, b) => keyOf(a).localeCompare(keyOf(b)))) {
        const c = this.controllers.get(m.kind);
        if (!c?.grants) continue;
        for (const g of await c.grants({ manifest: resolve(m), id: this.identify(m) }, ctx)) {
          const list = byTarget.get(g.on) ?? [];
          if (!list.some((x) => x.role === g.role && x.member === g.member && x.from === g.from)) list.push(g);
          byTarget.set(g.on, list);
        }
      }
      this.grants = byTarget;
    })();
    return this.collecting;
  }

  /** Forget memoised reads (after writes, or to re-read on a conflict). */
  invalidate(): void {
    this.cache.clear();
  }

  planContext(): PlanContext {
    return {
      target: this.target,
      set: this.set,
      statusOf: (key: string): ResourceStatus | undefined => {
        const o = this.observed.get(key);
        return o?.exists ? o.status : undefined;
      },
      manifestOf: (key: string) => this.manifests.get(key),
      grantsOn: (key: string) => [...(this.grants.get(key) ?? [])],
    };
  }

  observeContext(signal?: AbortSignal): ObserveContext {
    return {
      ...this.planContext(),
      clients: this.clients,
      signal,
      cached: <T>(key: string, load: () => Promise<T>): Promise<T> => {
        let p = this.cache.get(key) as Promise<T> | undefined;
        if (!p) {
          p = load();
          this.cache.set(key, p);
          // A failed read must not poison the cache.
          p.catch(() => this.cache.delete(key));
        }
        return p;
      },
    };
  }

  applyContext(key: string, signal?: AbortSignal): ApplyContext {
    return {
      ...this.observeContext(signal),
      progress: (message: string) => this.host.emit({ type: 'resource', key, phase: 'progress', message }),
    };
  }

  identify(m: Manifest): Identity {
    const key = keyOf(m);
    let id = this.identities.get(key);
    if (!id) {
      id = this.controllerFor(m.kind).identify(m, this.planContext());
      this.identities.set(key, id);
    }
    return id;
  }
}
