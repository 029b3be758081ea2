/**
 * The one interface every kind implements. The generic reconciler in
 * `src/engine/reconciler.ts` drives it; a kind supplies only what is specific to it.
 *
 * Lifecycle per resource: identify -> observe (read-only, list-backed) -> plan (pure)
 * -> apply (the only writer; idempotent) -> status. Ownership, paused, ignore-changes,
 * deletion policy, ordering, concurrency, retries of conflicts and reporting live in
 * the engine, not in controllers.
 */
import type { Clients } from '../gcp/clients';
import type { TargetInfo } from '../gcp/target-info';
import type { RolloutGate, RolloutReport, RolloutResult } from './rollout';
import type { Diagnostic, ErrorCode, FieldPath, Manifest } from './types';

export type { TargetInfo };

/** Where a resource lives in Google Cloud, resolved from flags, env and spec. */
export interface Identity {
  project: string;
  /** Region for regional resources; undefined for global ones. */
  region?: string;
  /** The resource ID (metadata.name, or a name derived from it). */
  name: string;
  /** Full API resource name, e.g. `projects/p/locations/r/services/s`. */
  fullName: string;
}

/** Context for pure steps: identity resolution and planning. */
export interface PlanContext {
  target: TargetInfo;
  /** The ownership set (`runctl-set` label value). @default 'default' */
  set: string;
  /**
   * Status of other resources in this manifest set by key (`Kind/name`), for
   * controllers that need a dependency's live facts (e.g. a Service's region).
   * Undefined while the dependency does not exist yet.
   */
  statusOf(key: string): ResourceStatus | undefined;
  /** The desired manifest of another resource in this set, by key. */
  manifestOf(key: string): Manifest | undefined;
}

/** Context for reads. */
export interface ObserveContext extends PlanContext {
  clients: Clients;
  /**
   * Memoise a read for this run: many resources share one list call per kind and
   * scope (e.g. `run.services:projects/p/locations/r`).
   */
  cached<T>(key: string, load: () => Promise<T>): Promise<T>;
  signal?: AbortSignal;
}

/** Context for writes: progress reporting for long operations. */
export interface ApplyContext extends ObserveContext {
  /** Report a progress message for the live progress line (e.g. "waiting for revision"). */
  progress(message: string): void;
}

/** What `observe` found. */
export interface Observed<L = any> {
  exists: boolean;
  /** The live object in manifest form (same shape as `spec`), normalised. */
  spec?: Record<string, any>;
  /** Labels currently on the live resource (ownership is read from these). */
  labels?: Record<string, string>;
  /** Optimistic-concurrency token (etag/fingerprint) for saved plans and conflict detection. */
  etag?: string;
  /** The raw API object(s), for the controller's own apply. */
  raw?: L;
  /** Who last changed it, when the API says (`lastModifier`, `client`). */
  lastModifier?: string;
  /** The last change was runctl's own (the API recorded runctl as the client). */
  lastModifiedByRunctl?: boolean;
  /**
   * Set by `apply` when everything it set out to write had just been written, as
   * wanted, by a concurrent writer (a composite create whose every part appeared while
   * being made): the result then says so instead of claiming the write.
   */
  writtenByOthers?: boolean;
  /** Status derived from the live object. */
  status?: ResourceStatus;
}

/** One field-level difference, in manifest terms. */
export interface FieldChange {
  /** Dotted path, e.g. `spec.scaling.minInstances`. */
  path: string;
  op: 'add' | 'remove' | 'replace';
  old?: unknown;
  new?: unknown;
}

/** A change to one sub-resource of a composite resource (shown on its own line). */
export interface SubChange {
  /** e.g. `backendService gradio-lb-bs-gradio`. */
  name: string;
  action: 'create' | 'update' | 'replace' | 'delete' | 'noop';
  changes?: FieldChange[];
  notes?: string[];
}

/** The controller's plan for one resource. Pure data. */
export interface ResourcePlan {
  action: 'create' | 'update' | 'replace' | 'delete' | 'noop';
  changes: FieldChange[];
  /** Human notes: "creates a new revision", "certificate provisioning takes minutes to hours". */
  notes: string[];
  /** Sub-resource lines for composite kinds. */
  children?: SubChange[];
  /**
   * The change cannot be made as the manifest says it (the API would refuse the write):
   * the engine blocks this resource at plan time, naming the file:line of `path`, writes
   * nothing for it and skips its dependents; the rest of the set goes ahead.
   */
  refuse?: Refusal;
  /**
   * The live state differs from the manifest in a way applying will not change by
   * itself (e.g. a canary rollout of the manifest's template failed and traffic went
   * back): the plan shows it and `diff` reports a difference, but nothing is written.
   */
  unsettled?: string;
}

/** Why a manifest cannot be applied as written, and the field to fix. */
export interface Refusal {
  /** What is wrong and how to fix it, e.g. "... change spec.revision or remove it". */
  reason: string;
  /** Dotted field path of the field to fix, e.g. `spec.revision`. */
  path: string;
  /** @default 'InvalidValue' */
  code?: ErrorCode;
}

export type ConditionStatus = 'True' | 'False' | 'Unknown';

export interface Condition {
  type: 'Ready' | 'Synced';
  status: ConditionStatus;
  reason: string;
  message?: string;
}

/** Status reported for a resource; `fields` are what `${Kind/name.status.x}` resolves to. */
export interface ResourceStatus {
  /** e.g. `{url, latestReadyRevision, traffic}`. */
  fields: Record<string, unknown>;
  /** `Ready` from the live object (Synced is added by the engine). */
  ready?: { status: ConditionStatus; reason: 'Creating' | 'Available' | 'Unavailable' | 'Deleting'; message?: string };
}

/** A live resource runctl can list (for `get` and `--prune`). */
export interface LiveResource {
  kind: string;
  name: string;
  identity: Identity;
  labels: Record<string, string>;
  spec: Record<string, any>;
  status?: ResourceStatus;
  annotations?: Record<string, string>;
  /**
   * Optimistic-concurrency token, equal to what `observe` reports for the same object
   * when listed the same way: a pruned resource's plan records it, and the engine
   * compares it with a fresh read right before deleting.
   */
  etag?: string;
}

/**
 * A scope to list in: a project the manifests (or the defaults) name. `region`
 * undefined means every region the project uses (a kind finds its regions through the API).
 */
export interface Scope {
  project: string;
  region?: string;
}

/**
 * Optional verbs beyond the lifecycle that a kind may declare; commands reach them
 * through the registry (`controllers/index.ts`), never by importing a kind's files.
 */
export interface Capabilities {
  /** Progressive delivery: `runctl rollout status|promote|abort|undo`. */
  rollout?: RolloutCapability;
}

export interface Controller {
  /** The manifest kind, e.g. `Service`. */
  readonly kind: string;
  /** Schema file name in `schemas/` (e.g. `service.schema.json`). */
  readonly schema: string;
  /** Whether the kind's resources are regional (a scope with a region lists only that region). */
  readonly regional: boolean;

  /** Checks beyond the JSON Schema (e.g. GPU rules). Pure; no API calls. */
  validate?(m: Manifest, all: Manifest[]): Diagnostic[];

  /** Plain-name references (`service: jokes`) as dependency edges. */
  dependencies?(m: Manifest): Array<{ kind: string; name: string; path: FieldPath }>;

  /** Resolve project/region/full name. */
  identify(m: Manifest, ctx: PlanContext): Identity;

  /** Read the live state. Must use `ctx.cached` list calls, not one get per resource. */
  observe(m: Manifest, id: Identity, ctx: ObserveContext): Promise<Observed>;

  /**
   * The desired state in manifest form, normalised the same way `observe` normalises
   * live state (so semantic equality is plain equality). Pure.
   */
  desired(m: Manifest, id: Identity, ctx: PlanContext): Record<string, any>;

  /**
   * Plan the change. Pure. `desired` comes from `desired()` with ignore-changes paths
   * already replaced by live values. The engine provides `diffDeclared` for the
   * common case.
   */
  plan(m: Manifest, desired: Record<string, any>, observed: Observed, ctx: PlanContext): ResourcePlan;

  /**
   * Make the live state match. Idempotent: a repeated create is not an error.
   * Must send `observed.etag` (or fingerprints) so a concurrent change fails with a
   * Conflict instead of being overwritten. Returns the observation after the write
   * (the engine waits for readiness through `observe` if `ready` is not Available).
   */
  apply(m: Manifest, desired: Record<string, any>, observed: Observed, plan: ResourcePlan, ctx: ApplyContext): Promise<Observed>;

  /** Delete the live resource (and its sub-resources). Deleting something gone succeeds. */
  delete(m: Manifest, id: Identity, observed: Observed, ctx: ApplyContext): Promise<void>;

  /** List live resources of this kind in the scopes (for `get` and `--prune`). */
  list(scopes: Scope[], ctx: ObserveContext): Promise<LiveResource[]>;

  /**
   * A listed resource's spec as a manifest declares it, for `get -o yaml|json`: server
   * defaults left out, fields the listing does not read (IAM) read now. Piped back into
   * `diff -f -`, it plans no change. Default: the listed `spec` as it is.
   */
  exportSpec?(r: LiveResource, ctx: ObserveContext): Promise<{ spec: Record<string, any>; status?: Record<string, unknown> }>;

  /** Kind-specific verbs this kind offers (e.g. `rollout`). */
  readonly capabilities?: Capabilities;
}

/**
 * One resource's rollout: its manifest (declared, or a bare one naming it when only the
 * command line names it) and its resolved identity.
 */
export interface RolloutRequest {
  manifest: Manifest;
  id: Identity;
}

/** The manual side of progressive delivery, declared by a kind that rolls out. */
export interface RolloutCapability {
  /** The rollout recorded on the object, with the gate's figures measured now. */
  status(req: RolloutRequest, ctx: ObserveContext): Promise<RolloutReport>;
  /** Skip to 100% on the new revision. */
  promote(req: RolloutRequest, ctx: ObserveContext): Promise<RolloutResult>;
  /** Roll an unfinished rollout back now. */
  abort(req: RolloutRequest, ctx: ObserveContext): Promise<RolloutResult>;
  /** Return to the revision that was good before the last rollout. */
  undo(req: RolloutRequest, ctx: ObserveContext): Promise<RolloutResult>;
  /** The gate in words, for people (`5xx ratio ≤ 2%; ...`). */
  describeGate(gate: RolloutGate): string;
}
