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
import { RunctlError, type Diagnostic, type ErrorCode, type FieldPath, type Manifest } from './types';

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
  /**
   * The IAM grants other resources of this set need on the resource `key` (`Kind/name`),
   * from their controllers' `grants()` (see `Grant`). Empty when none ask.
   */
  grantsOn(key: string): Grant[];
}

/**
 * An IAM role one resource of the set needs on another, e.g. a Schedule's account as
 * `roles/run.invoker` on the Service it calls, or a Service's account as
 * `roles/secretmanager.secretAccessor` on a Secret its env reads. The controller of the
 * resource `on` merges these into the bindings it manages on its own IAM policy, so two
 * controllers never write one policy and a grant lives exactly as long as the resource
 * asking for it is in the set.
 */
export interface Grant {
  /** The resource the role is granted on: `Kind/name` of a resource of the set. */
  on: string;
  /** e.g. `roles/run.invoker`. */
  role: string;
  /** The IAM member, resolved: `serviceAccount:EMAIL`. */
  member: string;
  /** The resource asking: `Kind/name` (plans say whom a binding is for). */
  from: string;
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

/**
 * A resource's state in manifest form (the shape of `spec`), normalised so that semantic
 * equality is plain equality: what `desired` returns and `observe` reads back.
 */
export type Form = Record<string, unknown>;

/** What `observe` found. `L` is the raw API object the kind keeps for its own apply. */
export interface Observed<L = unknown, F extends Form = Form> {
  exists: boolean;
  /** The live object in manifest form (same shape as `spec`), normalised. */
  spec?: F;
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
  /**
   * The values are secret (a Secret's value): `old` and `new` are never set, and plans
   * show `(sensitive)` for an add and `(changed)` for a replace, nothing more.
   */
  sensitive?: boolean;
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
   * Steps beyond the field changes that the kind decided at plan time and its `apply`
   * carries out as told (e.g. Service's `redeploy`, `rollout`): apply never re-decides them.
   */
  operations?: string[];
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
  /**
   * Lines for people that `apply` prints under the resource's result and `get` under its
   * table (what to do next outside Google Cloud, e.g. the DNS records a domain needs).
   */
  notes?: string[];
}

/** A live resource runctl can list (for `get` and `--prune`). */
export interface LiveResource {
  kind: string;
  name: string;
  identity: Identity;
  labels: Record<string, string>;
  spec: Form;
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
 * A field whose change the API cannot make in place: the engine's planning turns an
 * update that changes it into a `replace`, or refuses it at plan time when the kind will
 * not replace (the object holds data a replacement would delete).
 */
export interface ReplaceRule {
  /** Dotted manifest path, e.g. `spec.gcs.location`; a change at or under it matches. */
  path: string;
  /** Why runctl will not replace instead; the plan then refuses, naming `path`. */
  refuse?: string;
  /** Plan note for a replacement, e.g. "the SLO is re-created (its history starts over)". */
  note?: string;
}

/**
 * Optional verbs beyond the lifecycle that a kind may declare; commands reach them
 * through the registry (`controllers/index.ts`), never by importing a kind's files.
 */
export interface Capabilities {
  /** Progressive delivery: `runctl rollout status|promote|abort|undo`. */
  rollout?: RolloutCapability;
}

/** One resource to read: its manifest (references unresolved) and resolved identity. */
export interface ObserveRequest<S = unknown> {
  manifest: Manifest<S>;
  id: Identity;
}

/** One resource to plan: the manifest (references resolved, runctl's labels set), its desired and live state. */
export interface PlanRequest<S = unknown, L = unknown, F extends Form = Form> extends ObserveRequest<S> {
  /** From `desired()`, with ignore-changes paths already holding the live values. */
  desired: F;
  observed: Observed<L, F>;
}

/** One resource to write: what was planned for it, which `apply` carries out as it is. */
export interface ApplyRequest<S = unknown, L = unknown, F extends Form = Form> extends PlanRequest<S, L, F> {
  plan: ResourcePlan;
}

/** One resource to delete, with what the engine read right before (its etag is the precondition). */
export interface DeleteRequest<S = unknown, L = unknown, F extends Form = Form> extends ObserveRequest<S> {
  observed: Observed<L, F>;
}

/**
 * Thrown by `apply` when a create met an object that already exists and the API's error
 * does not say so in a way `isAlreadyExists` recognises (Storage answers 409). The
 * executor, not the controller, decides what that means: it re-reads and re-plans.
 */
export class AlreadyExists extends RunctlError {
  constructor(message: string, cause?: unknown) {
    super('AlreadyExists', message, { cause });
  }
}

/**
 * The one interface every kind implements, typed by its manifest's spec `S` (from
 * `controllers/generated/manifests.ts`), its raw live object `L` and its manifest form `F`.
 */
export interface Controller<S = unknown, L = unknown, F extends Form = Form> {
  /** The manifest kind, e.g. `Service`. */
  readonly kind: string;
  /** Schema file name in `schemas/` (e.g. `service.schema.json`). */
  readonly schema: string;
  /** Whether the kind's resources are regional (a scope with a region lists only that region). */
  readonly regional: boolean;
  /** Fields the API cannot change in place (see `ReplaceRule`); applied by the engine's planning. */
  readonly replaceOn?: readonly ReplaceRule[];

  /**
   * Whether the object's labels can change in place (default true). False for APIs with
   * no update (Cloud Run v1 domain mappings): `--adopt` of one that matches its manifest
   * writes nothing rather than re-creating it just to label it; it stays unowned (never
   * pruned or deleted) and is labelled when a change needs re-creating it anyway.
   */
  readonly labelsInPlace?: boolean;

  /** Checks beyond the JSON Schema (e.g. GPU rules). Pure; no API calls. */
  validate?(m: Manifest<S>, all: Manifest[]): Diagnostic[];

  /** Plain-name references (`service: jokes`) as dependency edges. */
  dependencies?(m: Manifest<S>): Array<{ kind: string; name: string; path: FieldPath }>;

  /** Resolve project/region/full name. */
  identify(m: Manifest<S>, ctx: PlanContext): Identity;

  /**
   * The IAM grants this resource needs on other resources of the set (see `Grant`).
   * Called once per session for every manifest, with references resolved as far as they
   * are known when planning starts; reads go through `ctx.cached` (e.g. a project number).
   */
  grants?(req: ObserveRequest<S>, ctx: ObserveContext): Promise<Grant[]> | Grant[];

  /**
   * Status fields known before the resource exists, computed from its identity alone
   * (a repository's URL, an account's email), so `${Kind/name.status.x}` references to
   * them resolve in a plan instead of showing `(known after apply)`. Pure; the live
   * status wins once the resource exists.
   */
  knownStatus?(req: ObserveRequest<S>, ctx: PlanContext): Record<string, unknown>;

  /** Read the live state. Must use `ctx.cached` list calls, not one get per resource. */
  observe(req: ObserveRequest<S>, ctx: ObserveContext): Promise<Observed<L, F>>;

  /**
   * The desired state in manifest form, normalised the same way `observe` normalises
   * live state (so semantic equality is plain equality). Pure.
   */
  desired(req: ObserveRequest<S>, ctx: PlanContext): F;

  /**
   * Plan the change. Pure. The engine provides `diffDeclared` for the common case, turns
   * changes of `replaceOn` fields into replacements or refusals, and adds labels,
   * adoption and pausing.
   */
  plan(req: PlanRequest<S, L, F>, ctx: PlanContext): ResourcePlan;

  /**
   * Carry out `req.plan` exactly as planned: dispatch on its action and children, never
   * re-deciding what to write. Idempotent. Must send `observed.etag` (or fingerprints)
   * so a concurrent change fails with a Conflict instead of being overwritten. A create
   * that meets an existing object lets the API's error through (or throws
   * `AlreadyExists`): the executor re-reads and re-plans. Returns the observation after
   * the write (the engine waits for readiness through `observe` if `ready` is not Available).
   */
  apply(req: ApplyRequest<S, L, F>, ctx: ApplyContext): Promise<Observed<L, F>>;

  /** Delete the live resource (and its sub-resources). Deleting something gone succeeds. */
  delete(req: DeleteRequest<S, L, F>, ctx: ApplyContext): Promise<void>;

  /** List live resources of this kind in the scopes (for `get` and `--prune`). */
  list(scopes: Scope[], ctx: ObserveContext): Promise<LiveResource[]>;

  /**
   * A listed resource's spec as a manifest declares it, for `get -o yaml|json`: server
   * defaults left out, fields the listing does not read (IAM) read now. Piped back into
   * `diff -f -`, it plans no change. Default: the listed `spec` as it is.
   */
  exportSpec?(r: LiveResource, ctx: ObserveContext, opts?: ExportOptions): Promise<ExportedSpec>;

  /**
   * Live objects that look like this kind but that no manifest of it can stand for (a
   * load balancer whose default is a backend bucket): `export` reports each line instead
   * of half-exporting them. Default: none.
   */
  unexportable?(scopes: Scope[], ctx: ObserveContext): Promise<string[]>;

  /**
   * This kind is a specialised form of another kind's objects (a GpuModel is a Cloud Run
   * service that `Service` lists too): where both list one object (same `fullName`),
   * `export` keeps this kind's manifest only.
   */
  readonly specialises?: string;

  /** Kind-specific verbs this kind offers (e.g. `rollout`). */
  readonly capabilities?: Capabilities;
}

/** What `export` tells `exportSpec` beyond the resource: what else is exported with it. */
export interface ExportOptions {
  /** Every live resource exported in this run (references are rebuilt only towards these). */
  exported: LiveResource[];
  /** Rebuild `${Kind/name.status.x}` references inside strings too (`export --references`). */
  references: boolean;
}

/** A listed resource as a manifest declares it (see `Controller.exportSpec`). */
export interface ExportedSpec {
  spec: Form;
  status?: Record<string, unknown>;
  /**
   * Live settings no field of the kind expresses (a sidecar container, a Cloud SQL
   * connection): `export` lists them at the top of the file, so nothing is dropped in
   * silence. Each line names the API field, e.g. `template.containers[1] (sidecar "proxy")`.
   */
  unexpressed?: string[];
  /**
   * Live settings no field expresses that applying the manifest would change all the same
   * (an SLO's windows-based SLI where the kind writes a request-based one): listed apart,
   * so the differences `diff` shows are no surprise. Same form as `unexpressed`.
   */
  differs?: string[];
  /**
   * Other resources this one implies, as manifests (a Service's Cloud Storage mount as a
   * `Volume`): exported too unless a resource of that kind and name already is.
   */
  related?: Array<{
    kind: string;
    name: string;
    spec: Form;
    /**
     * Exported only as its kind lists it (the Service an Slo measures, the Service a
     * DomainMapping routes to): when it is not found, nothing is made up and the
     * referencing manifest's comment says so.
     */
    listedOnly?: boolean;
  }>;
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

/**
 * A controller of whichever kind, as the registry and the engine hold it: method parameters
 * are compared bivariantly, so every `Controller<S, L, F>` is one.
 */
export type AnyController = Controller<unknown, unknown, Form>;
