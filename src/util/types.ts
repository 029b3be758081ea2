/**
 * The vocabulary every layer shares: manifests as loaded, resource keys, diagnostics,
 * error codes and `RunctlError`. The bottom layer: it imports nothing of runctl's, so
 * loading, validation, the Google clients and the engine can all use it. Nothing in
 * here is kind-specific.
 */

/** The only apiVersion runctl accepts. */
export const API_VERSION = 'runctl.dev/v1alpha1';

/** Ownership labels written on everything runctl creates. */
export const LABEL_MANAGED_BY = 'managed-by';
export const LABEL_SET = 'runctl-set';
export const MANAGED_BY_VALUE = 'runctl';

/** Annotations every kind honours (DESIGN.md). */
export const ANNOTATION_IGNORE_CHANGES = 'runctl.dev/ignore-changes';
export const ANNOTATION_DELETION_POLICY = 'runctl.dev/deletion-policy';
export const ANNOTATION_PAUSED = 'runctl.dev/paused';

/** A field path inside a document, e.g. `['spec', 'env', 'FOO']`. */
export type FieldPath = Array<string | number>;

/** A place in a manifest file (1-based line and column). */
export interface SourcePos {
  file: string;
  line: number;
  col: number;
}

/** A manifest document: the YAML a user wrote, after parsing. */
export interface Manifest<S = Record<string, any>> {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  spec: S;
}

/** A manifest with its origin, so every diagnostic can name file:line:column. */
export interface LoadedManifest<S = Record<string, any>> {
  manifest: Manifest<S>;
  /** The file it came from (`-` for standard input). */
  file: string;
  /** Position of the document's first token. */
  pos: SourcePos;
  /**
   * Position of the value at `path` (or of its closest existing ancestor).
   * Never throws; falls back to the document position.
   */
  positionOf(path: FieldPath): SourcePos;
}

/** `Kind/name`, the identity of a manifest inside one manifest set. */
export type ResourceKey = string;

export function keyOf(m: { kind: string; metadata: { name: string } }): ResourceKey {
  return `${m.kind}/${m.metadata.name}`;
}

/** Stable error codes (tests assert on these, never on message text). */
export type ErrorCode =
  | 'YamlSyntax'
  | 'SchemaViolation'
  | 'UnknownKind'
  | 'UnknownField'
  | 'DuplicateResource'
  | 'DanglingReference'
  | 'DependencyCycle'
  | 'InvalidValue'
  | 'StalePlan'
  | 'PlanEdited'
  | 'WrongTarget'
  | 'Conflict'
  | 'AlreadyExists'
  | 'NotOwned'
  | 'ApiError'
  | 'DependencyFailed'
  | 'Refused'
  | 'Usage'
  | 'Aborted'
  | 'RolloutFailed'
  | 'RolloutHeld'
  | 'LeaseHeld'
  | 'LeaseLost'
  | 'Internal'
  /** Google Cloud credentials are missing or unusable (fix: gcloud auth application-default login). */
  | 'NoCredentials'
  /** The target's endpoint does not answer (an emulator that is not running). */
  | 'Unreachable'
  /** An input runctl will not read: not a regular file, or over the size limits. */
  | 'InputRefused'
  /** A manifest file that is not valid UTF-8. */
  | 'InvalidEncoding'
  /** A YAML tag other than the plain types (`!!binary`, `!!js/function`, `!custom`). */
  | 'UnknownTag'
  /** Lists and mappings nested deeper than the loader accepts. */
  | 'NestingTooDeep'
  /** `diff`/`apply` given no manifests at all on standard input (without --allow-empty). */
  | 'NoManifests';

/** One problem found in the manifests, with where it is. */
export interface Diagnostic {
  code: ErrorCode;
  message: string;
  /** `file:line:column` of the offending value. */
  pos?: SourcePos;
  /** `Kind/name` of the resource, when known. */
  resource?: ResourceKey;
  /** Field path inside the document, e.g. `spec.scaling.maxInstances`. */
  path?: string;
}

/** An error with a stable code; `source` tells user mistakes from system faults. */
export class RunctlError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly options: { cause?: unknown; source?: 'user' | 'system'; diagnostics?: Diagnostic[] } = {},
  ) {
    super(message);
    this.name = 'RunctlError';
  }
  get diagnostics(): Diagnostic[] {
    return this.options.diagnostics ?? [];
  }
}

/** Format a diagnostic as `file:line:col: Kind/name: spec.path: message`. */
export function formatDiagnostic(d: Diagnostic): string {
  const where = d.pos ? `${d.pos.file}:${d.pos.line}:${d.pos.col}: ` : '';
  const res = d.resource ? `${d.resource}: ` : '';
  const path = d.path ? `${d.path}: ` : '';
  return `${where}${res}${path}${d.message} [${d.code}]`;
}
