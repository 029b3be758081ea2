/**
 * A plan is data: per resource, the action, the field changes (as JSON Patch and as
 * old → new pairs), notes, sub-resource lines, the etag observed while planning (so a
 * saved plan can be refused when the live resource changed since), and the resolved
 * manifest and desired state the changes were computed from (what `apply PLANFILE`
 * executes, never the manifests re-read). Format `runctl.plan/v2`; see
 * `saved-plan.ts` for how a saved plan is sealed and checked.
 */
import type { Operation } from 'fast-json-patch';
import type { FieldChange, Form, Identity, SubChange } from './controller';
import type { ErrorCode, FieldPath, Manifest, SourcePos } from './types';

/** The format of plans (`plan -o json`, `plan --out`). */
export const PLAN_FORMAT = 'runctl.plan/v2';

/**
 * A field whose value is known only after a resource of the same plan is applied
 * (`(known after apply)`): the text as written, and the values of the other references
 * in it as they were when planned. Executing a saved plan resolves only these.
 */
export interface PendingField {
  /** Where in the manifest, e.g. `['spec', 'env', 'BACKEND_URL']`. */
  field: FieldPath;
  /** The value as written, with its `${...}` references. */
  template: string;
  /** Values of the references that were known when planned, by `${...}` text. */
  known: Record<string, unknown>;
}

/** Which API endpoint and projects a plan was made against. */
export interface PlanTarget {
  mode: string;
  description: string;
  /**
   * The API endpoint: `grpc=H:P http=H:P+1` for a standalone emulator, the state
   * directory for the embedded one, the API root for Google Cloud.
   */
  endpoint: string;
  /** Project and region from flags/environment (undefined: none given). */
  project?: string;
  region?: string;
  /** Every project the plan's resources live in. */
  projects: string[];
}

export type Action = 'create' | 'update' | 'replace' | 'delete' | 'noop' | 'blocked' | 'paused' | 'abandon';

/** Actions that write. */
export const WRITE_ACTIONS: ReadonlySet<Action> = new Set<Action>(['create', 'update', 'replace', 'delete', 'abandon']);

export interface PlanEntry {
  /** `Kind/name`. */
  key: string;
  kind: string;
  name: string;
  identity: Identity;
  action: Action;
  changes: FieldChange[];
  /** The same changes as RFC 6902 JSON Patch over the manifest form. */
  patch: Operation[];
  notes: string[];
  children?: SubChange[];
  /** Kind-defined steps beyond the field changes, decided at plan time (`ResourcePlan.operations`). */
  operations?: string[];
  /** Whether the resource existed when planned. */
  exists: boolean;
  /** Etag/fingerprint observed when planned. */
  etag?: string;
  /** Adopting a live resource runctl did not create (`--adopt`). */
  adopt?: boolean;
  /**
   * A live object runctl's set does not own that already matches the manifest (`noop`):
   * nothing is written to it, and only `--adopt` takes it over. `owner` says who the
   * labels name; `adoptable` is false where its labels cannot change in place (then
   * `--adopt` writes nothing either).
   */
  unowned?: { owner: string; adoptable: boolean };
  /** Why nothing can be done (NotOwned, ...). */
  reason?: string;
  /**
   * A `blocked` entry the controller refused because the manifest cannot be applied as
   * written: only this resource (and its dependents) is held back, not the whole set.
   */
  refused?: { code: ErrorCode; path: string; pos?: SourcePos };
  /** The live state differs in a way applying will not change by itself (shown; nothing written). */
  unsettled?: string;
  /** References whose values are known only after their targets are applied. */
  unknown?: string[];
  /** Who last changed the live resource, when the API says. */
  lastModifier?: string;
  /** The last change was runctl's own: plans show `lastModifier` only when someone else's was. */
  lastModifiedByRunctl?: boolean;
  /** Keys of resources this one depends on. */
  dependsOn: string[];
  /** Deletion because the manifests no longer name it (`--prune`). */
  pruned?: boolean;
  /**
   * The manifest as planned: references resolved (unknown ones as `(known after
   * apply)`), runctl's labels included. Absent for pruned entries (no manifest).
   */
  manifest?: Manifest;
  /** The controller's desired state the changes were computed from. */
  desired?: Form;
  /** Fields whose values this plan learns while it runs (see `PendingField`). */
  pending?: PendingField[];
}

export interface Plan {
  format: typeof PLAN_FORMAT;
  target: PlanTarget;
  set: string;
  createdAt: string;
  entries: PlanEntry[];
  summary: Record<Action, number>;
}

export function summarize(entries: PlanEntry[]): Record<Action, number> {
  const s: Record<Action, number> = { create: 0, update: 0, replace: 0, delete: 0, noop: 0, blocked: 0, paused: 0, abandon: 0 };
  for (const e of entries) s[e.action]++;
  return s;
}

/** True when the live state differs from the manifests (`diff` exits 2), even where applying writes nothing. */
export function hasDifferences(plan: Plan): boolean {
  return hasChanges(plan) || plan.entries.some((e) => !!e.unsettled);
}

/** True when applying the plan would write anything. */
export function hasChanges(plan: Plan): boolean {
  return plan.entries.some((e) => WRITE_ACTIONS.has(e.action));
}
