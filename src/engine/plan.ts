/**
 * A plan is data: per resource, the action, the field changes (as JSON Patch and as
 * old → new pairs), notes, sub-resource lines, and the etag observed while planning
 * (so a saved plan can be refused when the live resource changed since).
 */
import type { Operation } from 'fast-json-patch';
import type { FieldChange, Identity, SubChange } from './controller';
import type { ErrorCode, Manifest, SourcePos } from './types';

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
  /** Whether the resource existed when planned. */
  exists: boolean;
  /** Etag/fingerprint observed when planned. */
  etag?: string;
  /** Adopting a live resource runctl did not create (`--adopt`). */
  adopt?: boolean;
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
  /** Keys of resources this one depends on. */
  dependsOn: string[];
  /** Deletion because the manifests no longer name it (`--prune`). */
  pruned?: boolean;
}

export interface Plan {
  format: 'runctl.plan/v1';
  target: { mode: string; description: string; project?: string };
  set: string;
  createdAt: string;
  entries: PlanEntry[];
  /** The manifests the plan was made from (references unresolved), for `apply PLANFILE`. */
  manifests: Manifest[];
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
