/**
 * Secrets: CreateSecret, GetSecret, ListSecrets, UpdateSecret, DeleteSecret.
 * Behaviour: `src/emulator/spec/secret-manager.md`.
 */
import type { EmulatorCore } from '../../core';
import { Code, EmulatorError } from '../../errors';
import {
  checkEtag, clone, findSecret, inProject, invalid, keyOf, newEtag, parseParent, publicName, requireSecret,
  smNs, timestamp, validSecretId, type SecretRecord,
} from './state';

type Obj = Record<string, any>;

const LABEL_KEY = /^[\p{Ll}\p{Lo}][\p{Ll}\p{Lo}\p{N}_-]{0,62}$/u;
const LABEL_VALUE = /^[\p{Ll}\p{Lo}\p{N}_-]{0,63}$/u;

/** Fields UpdateSecret may change (update_mask paths, snake_case as on the wire). */
const UPDATABLE: Record<string, string> = {
  labels: 'labels',
  annotations: 'annotations',
  version_aliases: 'versionAliases',
  topics: 'topics',
  rotation: 'rotation',
  expire_time: 'expireTime',
  ttl: 'ttl',
  version_destroy_ttl: 'versionDestroyTtl',
};
const IMMUTABLE = new Set(['replication', 'secret_type', 'tags', 'name', 'create_time']);

function validateLabels(labels: Obj | undefined): void {
  const entries = Object.entries(labels ?? {});
  if (entries.length > 64) throw invalid('A secret can have at most 64 labels.');
  for (const [k, v] of entries) {
    if (!LABEL_KEY.test(k)) throw invalid(`Invalid label key "${k}": keys must start with a lowercase letter and contain only lowercase letters, digits, underscores and dashes (at most 63 characters).`);
    if (!LABEL_VALUE.test(String(v))) throw invalid(`Invalid label value "${v}": values contain only lowercase letters, digits, underscores and dashes (at most 63 characters).`);
  }
}

function validateAnnotations(annotations: Obj | undefined): void {
  const size = Object.entries(annotations ?? {}).reduce((n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(String(v)), 0);
  if (size > 16 * 1024) throw invalid('The total size of annotation keys and values must be less than 16KiB.');
}

/** The replication policy as stored (one of automatic / userManaged). */
function replicationOf(input: Obj | undefined): Obj {
  if (input?.userManaged) {
    const replicas: Obj[] = input.userManaged.replicas ?? [];
    if (!replicas.length) throw invalid('Field [replication.user_managed.replicas] must contain at least one replica.');
    const seen = new Set<string>();
    for (const r of replicas) {
      if (!r.location) throw invalid('Field [replication.user_managed.replicas.location] is required.');
      if (seen.has(r.location)) throw invalid(`Duplicate replica location "${r.location}".`);
      seen.add(r.location);
    }
    return { userManaged: { replicas: replicas.map((r) => ({ location: r.location, ...(r.customerManagedEncryption ? { customerManagedEncryption: r.customerManagedEncryption } : {}) })) } };
  }
  if (input?.automatic) return { automatic: clone(input.automatic) };
  throw invalid('Field [replication] is required.');
}

/** The wire form of a secret (output-only fields filled, input-only ones dropped). */
export function secretView(rec: SecretRecord): Obj {
  return clone(rec.secret);
}

export function createSecret(core: EmulatorCore, req: Obj): Obj {
  const project = parseParent(req.parent);
  if (!validSecretId(req.secretId)) {
    throw invalid('Secret id must be 1-255 characters of letters, digits, underscores and hyphens (field secret_id).');
  }
  const id = req.secretId;
  if (findSecret(core, project, id)) throw new EmulatorError(Code.ALREADY_EXISTS, `Secret [${publicName(core, id)}] already exists.`);
  const input: Obj = req.secret ?? {};
  validateLabels(input.labels);
  validateAnnotations(input.annotations);
  const secret: Obj = {
    name: publicName(core, id),
    replication: replicationOf(input.replication),
    createTime: timestamp(core),
    etag: newEtag(core),
  };
  for (const field of ['labels', 'annotations', 'topics', 'rotation', 'versionAliases', 'versionDestroyTtl', 'customerManagedEncryption', 'secretType']) {
    if (input[field] !== undefined && !(typeof input[field] === 'object' && Object.keys(input[field]).length === 0 && field !== 'labels')) secret[field] = clone(input[field]);
  }
  if (input.expireTime) secret.expireTime = clone(input.expireTime);
  else if (input.ttl) secret.expireTime = expiry(core, input.ttl);
  const rec: SecretRecord = { secret, project, versions: {}, next: 1 };
  smNs(core).secrets[keyOf(rec, id)] = rec;
  return secretView(rec);
}

/** An expiry `ttl` from now, as a Timestamp. */
function expiry(core: EmulatorCore, ttl: Obj): Obj {
  const ms = core.clock.now() + Number(ttl.seconds ?? 0) * 1000 + Math.floor(Number(ttl.nanos ?? 0) / 1e6);
  return { seconds: String(Math.floor(ms / 1000)), nanos: (ms % 1000) * 1e6 };
}

export function getSecret(core: EmulatorCore, req: Obj): Obj {
  return secretView(requireSecret(core, req.name).rec);
}

/** One term of a list filter: `labels.k=v`, `labels.k:*`, `labels.k:v`, `name:x`. */
function matchesTerm(rec: SecretRecord, term: string): boolean {
  const m = /^(labels\.[\w-]+|name)\s*([:=])\s*"?([^"]*)"?$/.exec(term);
  if (!m) throw invalid(`Invalid filter term "${term}": the emulator supports labels.KEY=VALUE, labels.KEY:*, labels.KEY:VALUE and name:SUBSTRING joined by AND.`);
  const [, field, op, want] = m;
  if (field === 'name') return String(rec.secret.name).includes(want);
  const value = rec.secret.labels?.[field.slice(7)];
  if (value === undefined) return false;
  if (op === ':' && want === '*') return true;
  return op === '=' ? value === want : value.includes(want);
}

/** Parse a page token (an offset) and size. */
export function page<T>(items: T[], pageSize: unknown, pageToken: unknown, max = 25000): { items: T[]; nextPageToken: string } {
  const size = Math.min(Number(pageSize) > 0 ? Number(pageSize) : max, max);
  const start = pageToken ? Number(Buffer.from(String(pageToken), 'base64url').toString()) : 0;
  if (!Number.isInteger(start) || start < 0) throw invalid('Invalid page token.');
  const slice = items.slice(start, start + size);
  const next = start + size < items.length ? Buffer.from(String(start + size)).toString('base64url') : '';
  return { items: slice, nextPageToken: next };
}

export function listSecrets(core: EmulatorCore, req: Obj): Obj {
  const project = parseParent(req.parent);
  const terms = String(req.filter ?? '').split(/\s+AND\s+|\s+(?=(?:labels\.|name[:=]))/).map((t) => t.trim()).filter(Boolean);
  const all = Object.values(smNs(core).secrets)
    .filter((r) => inProject(core, r, project))
    .filter((r) => terms.every((t) => matchesTerm(r, t)))
    .sort((a, b) => String(a.secret.name).localeCompare(String(b.secret.name)));
  const { items, nextPageToken } = page(all, req.pageSize, req.pageToken);
  return { secrets: items.map(secretView), nextPageToken, totalSize: all.length };
}

export function updateSecret(core: EmulatorCore, req: Obj): Obj {
  const input: Obj = req.secret ?? {};
  if (!req.secret) throw invalid('Field [secret] is required.');
  const { rec } = requireSecret(core, input.name, 'secret.name');
  const paths: string[] = req.updateMask?.paths ?? [];
  if (!paths.length) throw invalid('Field [update_mask] is required.');
  checkEtag(input.etag, rec.secret.etag, 'secret');
  for (const path of paths) {
    if (IMMUTABLE.has(path)) throw invalid(`Field [${path}] is immutable and cannot be updated.`);
    const field = UPDATABLE[path];
    if (!field) throw invalid(`Invalid update_mask path "${path}".`);
    if (field === 'labels') validateLabels(input.labels);
    if (field === 'annotations') validateAnnotations(input.annotations);
    const value = input[field];
    const empty = value === undefined || value === null || (typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length === 0) || (Array.isArray(value) && !value.length);
    if (field === 'ttl') {
      if (empty) delete rec.secret.expireTime;
      else rec.secret.expireTime = expiry(core, value);
    } else if (empty) delete rec.secret[field];
    else rec.secret[field] = clone(value);
  }
  rec.secret.etag = newEtag(core);
  return secretView(rec);
}

export function deleteSecret(core: EmulatorCore, req: Obj): Obj {
  const { rec, id } = requireSecret(core, req.name);
  checkEtag(req.etag, rec.secret.etag, 'secret');
  delete smNs(core).secrets[keyOf(rec, id)];
  return {};
}
