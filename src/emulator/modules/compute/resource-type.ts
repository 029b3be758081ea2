/**
 * What a Compute resource type supplies to the generic CRUD machinery (`crud.ts`): how to
 * validate and normalise a request body, which other resources it references (for the
 * in-use check and `usedBy`/`users`), read-time decorations, and extra verbs.
 */
import type { EmulatorCore } from '../../core';
import type { ComputeState } from './state';

/** Context of a write: where it happens and how to resolve references. */
export interface BuildContext {
  core: EmulatorCore;
  st: ComputeState;
  project: string;
  region?: string;
  /** The stored resource, on patch/update/verbs. */
  previous?: Record<string, any>;
  /** Resolve a reference field to a self-link; throws notFound/invalid/resourceNotReady. */
  ref(field: string, value: unknown, collections: string[]): string;
}

/** Context of a read. */
export interface ReadContext {
  core: EmulatorCore;
  st: ComputeState;
  /** Relative paths of resources that reference `rel`. */
  usersOf(rel: string): string[];
}

/** A verb on a resource (`setUrlMap`, `setLabels`, ...). */
export interface ResourceVerb {
  /** URL suffix, e.g. `setUrlMap`. */
  verb: string;
  /** Stats method, e.g. `SetUrlMap`. */
  method: string;
  /** The path has no `/global/` segment (TargetHttpsProxies.setUrlMap and friends). */
  noGlobal?: boolean;
  /** Return the resource's new user fields after applying the body. */
  apply(current: Record<string, any>, body: any, ctx: BuildContext): Record<string, any>;
}

/** A Compute resource type. */
export interface ResourceType {
  /** Service name for stats, e.g. `BackendServices`. */
  service: string;
  /** URL collection, e.g. `backendServices`. */
  collection: string;
  /** Regional (`/regions/{region}/...`) instead of global. */
  regional?: boolean;
  /** `compute#backendService`. */
  kind: string;
  /** Name in "resource in use" errors, e.g. `backend_service`. */
  typeName: string;
  /** Name of the path parameter in the API, e.g. `backendService`. */
  param: string;
  /** Carries `fingerprint` (required and checked on patch/update). */
  fingerprint?: boolean;
  /** Carries `labels` + `labelFingerprint`. */
  labels?: boolean;
  /** Labels sent at insert are ignored: only `setLabels` sets them (global addresses). */
  labelsBySetLabelsOnly?: boolean;
  /** Supports PATCH (merge) and PUT (replace). */
  patch?: boolean;
  update?: boolean;
  /** Validate and normalise user fields (system fields are added by the caller). */
  build(input: Record<string, any>, ctx: BuildContext): Record<string, any>;
  /** Reject changes a patch/update may not make. */
  checkChange?(before: Record<string, any>, after: Record<string, any>): void;
  /** Self-links or relative paths this resource references. */
  refs?(res: Record<string, any>): Array<string | undefined>;
  /** Output-only fields computed at read time. */
  decorate?(res: Record<string, any>, ctx: ReadContext): Record<string, any>;
  verbs?: ResourceVerb[];
}
