/**
 * Cloud Storage bucket resources: name rules, server defaults (location `US`, storage
 * class `STANDARD`, IAM configuration, soft-delete policy), metageneration and etag, and
 * the JSON API's error vocabulary. Pure functions over plain JSON.
 */
import { isIP } from 'node:net';
import { Code, EmulatorError } from '../../errors';

/** A stored bucket: the public JSON plus the owning project id. */
export type StoredBucket = Record<string, any> & { _project: string };

/** Fields the server owns; ignored in request bodies. */
const READ_ONLY = [
  'kind', 'id', 'selfLink', 'projectNumber', 'metageneration', 'etag', 'timeCreated', 'updated',
  'locationType', 'generation', 'softDeleteTime', 'hardDeleteTime', 'satisfiesPZS', 'satisfiesPZI',
  'owner', 'acl', 'defaultObjectAcl',
];
/** Fields that cannot change after creation (silently kept on patch/update). */
const IMMUTABLE = ['name', 'location', 'customPlacementConfig', 'hierarchicalNamespace'];

const MULTI_REGIONS = ['US', 'EU', 'ASIA'];
const DUAL_REGIONS = ['NAM4', 'EUR4', 'EUR5', 'EUR7', 'EUR8', 'ASIA1'];
const REGION_RE = /^[A-Z]+-[A-Z]+\d+$/;
const STORAGE_CLASSES = ['STANDARD', 'NEARLINE', 'COLDLINE', 'ARCHIVE', 'MULTI_REGIONAL', 'REGIONAL', 'DURABLE_REDUCED_AVAILABILITY'];
const LABEL_KEY = /^[a-z][a-z0-9_-]{0,62}$/;
const LABEL_VALUE = /^[a-z0-9_-]{0,63}$/;
const UBLA_LOCK_MS = 90 * 24 * 3600_000;
/** The soft-delete retention of a bucket created without a policy: 7 days. */
const DEFAULT_SOFT_DELETE_SECONDS = '604800';

/** `projection`: `full` adds `owner`, `acl` and `defaultObjectAcl`; `noAcl` omits them. */
export type Projection = 'full' | 'noAcl';

/** 400 `invalid`. */
export function invalidArg(message: string): EmulatorError {
  return new EmulatorError(Code.INVALID_ARGUMENT, message, 'invalid');
}

/** 400 `required`. */
export function requiredParam(name: string): EmulatorError {
  return new EmulatorError(Code.INVALID_ARGUMENT, `Required parameter: ${name}`, 'required');
}

/** 404 `notFound`. */
export function bucketNotFound(): EmulatorError {
  return new EmulatorError(Code.NOT_FOUND, 'The specified bucket does not exist.', 'notFound');
}

/** 409 `conflict`: bucket names are global. */
export function bucketConflict(sameProject: boolean): EmulatorError {
  return new EmulatorError(
    Code.ALREADY_EXISTS,
    sameProject
      ? 'Your previous request to create the named bucket succeeded and you already own it.'
      : 'The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again.',
    'conflict',
  );
}

/** 412 `conditionNotMet`. */
export function preconditionFailed(): EmulatorError {
  return new EmulatorError(Code.FAILED_PRECONDITION, 'At least one of the pre-conditions you specified did not hold.', 'conditionNotMet');
}

/** Check a bucket name against the documented naming rules. */
export function checkBucketName(name: unknown): string {
  if (typeof name !== 'string' || name === '') throw requiredParam('name');
  const parts = name.split('.');
  const ok =
    /^[a-z0-9][a-z0-9._-]*[a-z0-9]$/.test(name) &&
    name.length >= 3 &&
    name.length <= (parts.length > 1 ? 222 : 63) &&
    parts.every((p) => p.length >= 1 && p.length <= 63) &&
    !isIP(name) &&
    !name.startsWith('goog') &&
    !/g[o0][o0]gle/.test(name);
  if (!ok) throw invalidArg(`Invalid bucket name: '${name}'`);
  return name;
}

function checkLabels(labels: unknown): Record<string, string> | undefined {
  if (labels === undefined || labels === null) return undefined;
  if (typeof labels !== 'object' || Array.isArray(labels)) throw invalidArg('Invalid argument: labels must be a map.');
  const entries = Object.entries(labels as Record<string, unknown>);
  if (entries.length > 64) throw invalidArg('Invalid argument: at most 64 labels are allowed.');
  for (const [k, v] of entries) {
    if (!LABEL_KEY.test(k) || typeof v !== 'string' || !LABEL_VALUE.test(v)) {
      throw invalidArg(`Invalid argument: label '${k}' is not a valid key/value pair.`);
    }
  }
  return entries.length ? (labels as Record<string, string>) : undefined;
}

/** `etag` of a bucket: base64 of the protobuf encoding of its metageneration (e.g. `CAE=`). */
export function bucketEtag(metageneration: number): string {
  const bytes = [0x08];
  let n = metageneration;
  while (n > 0x7f) {
    bytes.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  bytes.push(n);
  return Buffer.from(bytes).toString('base64');
}

function locationType(location: string, body: Record<string, any>): string {
  if (MULTI_REGIONS.includes(location)) return 'multi-region';
  if (DUAL_REGIONS.includes(location) || body.customPlacementConfig) return 'dual-region';
  return 'region';
}

/** Request body without server-owned fields. */
export function userInput(body: unknown): Record<string, any> {
  const src = body && typeof body === 'object' && !Array.isArray(body) ? JSON.parse(JSON.stringify(body)) : {};
  for (const f of READ_ONLY) delete src[f];
  return src;
}

function iamConfiguration(input: any, previous: any, nowMs: number): Record<string, any> {
  const ubla = input?.uniformBucketLevelAccess?.enabled ?? input?.bucketPolicyOnly?.enabled ?? false;
  const wasOn = previous?.uniformBucketLevelAccess?.enabled === true;
  const lockedTime = ubla ? (wasOn ? previous.uniformBucketLevelAccess.lockedTime : new Date(nowMs + UBLA_LOCK_MS).toISOString()) : undefined;
  const flag = ubla ? { enabled: true, lockedTime } : { enabled: false };
  return {
    bucketPolicyOnly: flag,
    uniformBucketLevelAccess: flag,
    publicAccessPrevention: input?.publicAccessPrevention ?? 'inherited',
  };
}

/**
 * The soft-delete policy: `retentionDurationSeconds` (int64 as a string, default 7 days)
 * and the output-only `effectiveTime`, which moves to now only when the retention changes.
 */
function softDeletePolicy(input: any, previous: any, nowIso: string): Record<string, string> {
  const raw = input?.retentionDurationSeconds ?? previous?.retentionDurationSeconds ?? DEFAULT_SOFT_DELETE_SECONDS;
  const seconds = String(raw);
  if (!/^\d+$/.test(seconds)) throw invalidArg(`Invalid argument: softDeletePolicy.retentionDurationSeconds '${seconds}'.`);
  const kept = previous && String(previous.retentionDurationSeconds) === seconds && previous.effectiveTime;
  return { retentionDurationSeconds: seconds, effectiveTime: kept ? previous.effectiveTime : nowIso };
}

/** A lifecycle configuration without rules is no configuration: Google drops it. */
function lifecycle(input: any): Record<string, any> | undefined {
  return Array.isArray(input?.rule) && input.rule.length ? input : undefined;
}

/**
 * Validate user fields and produce the stored bucket. `previous` is the current bucket on
 * patch/update (its immutable fields win and its metageneration is bumped).
 */
export function buildBucket(
  input: Record<string, any>,
  ctx: { project: string; projectNumber: string; nowIso: string; nowMs: number; generation: string; previous?: StoredBucket },
): StoredBucket {
  const prev = ctx.previous;
  for (const f of IMMUTABLE) if (prev && prev[f] !== undefined) input[f] = prev[f];
  const name = checkBucketName(input.name);
  const location = String(input.location ?? 'US').toUpperCase();
  if (!MULTI_REGIONS.includes(location) && !DUAL_REGIONS.includes(location) && !REGION_RE.test(location)) {
    throw invalidArg('The specified location constraint is not valid.');
  }
  const storageClass = String(input.storageClass ?? 'STANDARD').toUpperCase();
  if (!STORAGE_CLASSES.includes(storageClass)) throw invalidArg(`Invalid argument: unknown storage class '${storageClass}'.`);
  const labels = checkLabels(input.labels);
  const metageneration = prev ? Number(prev.metageneration) + 1 : 1;
  const type = locationType(location, input);
  const out: StoredBucket = {
    kind: 'storage#bucket',
    selfLink: `https://www.googleapis.com/storage/v1/b/${name}`,
    id: name,
    name,
    projectNumber: ctx.projectNumber,
    metageneration: String(metageneration),
    generation: prev?.generation ?? ctx.generation,
    location,
    storageClass,
    etag: bucketEtag(metageneration),
    timeCreated: prev?.timeCreated ?? ctx.nowIso,
    updated: ctx.nowIso,
    softDeletePolicy: softDeletePolicy(input.softDeletePolicy, prev?.softDeletePolicy, ctx.nowIso),
    iamConfiguration: iamConfiguration(input.iamConfiguration, prev?.iamConfiguration, ctx.nowMs),
    locationType: type,
    _project: prev?._project ?? ctx.project,
  };
  if (type !== 'region') out.rpo = input.rpo ?? 'DEFAULT';
  for (const [k, v] of Object.entries(input)) {
    if (!(k in out) && !['labels', 'rpo', 'lifecycle'].includes(k) && v !== null && v !== undefined) out[k] = v;
  }
  const rules = lifecycle(input.lifecycle);
  if (rules) out.lifecycle = rules;
  if (labels) out.labels = labels;
  return out;
}

/**
 * Bring a bucket stored by an older emulator (a state directory outlives versions) to
 * today's form, deterministically so every restart answers the same: a `generation` from
 * its creation time (in microseconds, as new ones are minted), a soft-delete
 * `effectiveTime` of its creation, and no empty `lifecycle`.
 */
export function upgradeStored(b: StoredBucket): void {
  const created = Date.parse(String(b.timeCreated));
  b.generation ??= String(BigInt(Number.isNaN(created) ? 0 : created) * 1000n);
  const policy = b.softDeletePolicy ?? {};
  b.softDeletePolicy = {
    retentionDurationSeconds: String(policy.retentionDurationSeconds ?? DEFAULT_SOFT_DELETE_SECONDS),
    effectiveTime: policy.effectiveTime ?? b.timeCreated,
  };
  if (b.lifecycle !== undefined && !lifecycle(b.lifecycle)) delete b.lifecycle;
}

/**
 * The `projection` a request asks for, else the method's default: `full` for patch and
 * update, `noAcl` for get and list, and for insert `noAcl` unless the body carries `acl`
 * or `defaultObjectAcl`.
 */
export function projectionOf(param: string | null, fallback: Projection): Projection {
  if (param === null) return fallback;
  if (param === 'full' || param === 'noAcl') return param;
  throw invalidArg(`Invalid value for projection: '${param}'`);
}

const TEAMS = [
  { team: 'owners', bucketRole: 'OWNER', objectRole: 'OWNER' },
  { team: 'editors', bucketRole: 'OWNER', objectRole: 'OWNER' },
  { team: 'viewers', bucketRole: 'READER', objectRole: 'READER' },
] as const;

/**
 * What `projection=full` adds: `owner` (the project's owners team), and the
 * `projectPrivate` bucket ACL and default object ACL every bucket is created with, unless
 * uniform bucket-level access is on (ACLs do not apply then, and Google leaves them out).
 */
function aclFields(b: StoredBucket): Record<string, any> {
  const n = String(b.projectNumber);
  const out: Record<string, any> = { owner: { entity: `project-owners-${n}` } };
  if (b.iamConfiguration?.uniformBucketLevelAccess?.enabled) return out;
  const team = (t: string) => ({ entity: `project-${t}-${n}`, projectTeam: { projectNumber: n, team: t } });
  out.acl = TEAMS.map((t) => ({
    kind: 'storage#bucketAccessControl',
    id: `${b.name}/project-${t.team}-${n}`,
    selfLink: `https://www.googleapis.com/storage/v1/b/${b.name}/acl/project-${t.team}-${n}`,
    bucket: b.name,
    ...team(t.team),
    role: t.bucketRole,
    etag: b.etag,
  }));
  out.defaultObjectAcl = TEAMS.map((t) => ({ kind: 'storage#objectAccessControl', ...team(t.team), role: t.objectRole, etag: b.etag }));
  return out;
}

/** The public JSON of a stored bucket, in the given projection. */
export function renderBucket(b: StoredBucket, projection: Projection = 'noAcl'): Record<string, any> {
  const out: Record<string, any> = {};
  for (const [k, v] of Object.entries(b)) if (!k.startsWith('_')) out[k] = v;
  if (projection === 'full') Object.assign(out, aclFields(b));
  return JSON.parse(JSON.stringify(out));
}
