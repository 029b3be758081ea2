/**
 * Ownership: the one home of runctl's ownership markers and checks. Everything runctl
 * writes carries `managed-by: runctl` and `runctl-set: <set>`; objects whose IDs the
 * server assigns (alert policies, notification channels, ...) also carry an identity
 * naming the manifest resource and the role the object plays for it, so a retried or
 * concurrent create can find what was already made instead of making it twice.
 */
import { createHash } from 'node:crypto';
import { CLIENT_NAME, clientStamp } from '../package-root';
import { ANNOTATION_DELETION_POLICY, LABEL_MANAGED_BY, LABEL_SET, MANAGED_BY_VALUE, type Manifest } from './types';

export { LABEL_MANAGED_BY, LABEL_SET, MANAGED_BY_VALUE };

/** Label recording `runctl.dev/deletion-policy: abandon` on the live resource, for `--prune`. */
export const LABEL_DELETION_POLICY = 'runctl-deletion-policy';
/** Label naming the manifest resource a server-named object belongs to (see `identityLabels`). */
export const LABEL_RESOURCE = 'runctl-resource';
/** Label naming the role a server-named object plays for its resource (`alert-0`, `channel-…`). */
export const LABEL_ROLE = 'runctl-role';

/** The labels runctl writes on a resource: the manifest's, plus ownership. */
export function ownedLabels(m: Manifest, set: string): Record<string, string> {
  const labels: Record<string, string> = { ...(m.metadata.labels ?? {}), [LABEL_MANAGED_BY]: MANAGED_BY_VALUE, [LABEL_SET]: set };
  if (m.metadata.annotations?.[ANNOTATION_DELETION_POLICY] === 'abandon') labels[LABEL_DELETION_POLICY] = 'abandon';
  return labels;
}

/** Whether live labels say this set owns the resource. */
export function ownedBy(labels: Record<string, string> | undefined, set: string): boolean {
  return labels?.[LABEL_MANAGED_BY] === MANAGED_BY_VALUE && labels?.[LABEL_SET] === set;
}

/** Who the live labels say owns a resource, for messages ("managed by terraform", "runctl set blue"). */
export function ownerOf(labels: Record<string, string> | undefined): string {
  const by = labels?.[LABEL_MANAGED_BY];
  if (!by) return 'nobody (no managed-by label)';
  if (by === MANAGED_BY_VALUE) return `runctl set "${labels?.[LABEL_SET] ?? '?'}"`;
  return `"${by}" (managed-by label)`;
}

/**
 * A Google label value (lowercase letters, digits, `_` and `-`, at most 63 characters)
 * that names `text` unambiguously: readable when `text` already fits, otherwise a
 * readable prefix plus a short hash of the whole.
 */
export function labelValue(text: string): string {
  const clean = text.toLowerCase().replace(/[^a-z0-9_-]/g, '_');
  if (clean === text && clean.length <= 63) return clean;
  const hash = createHash('sha256').update(text).digest('hex').slice(0, 10);
  return `${clean.slice(0, 52)}-${hash}`;
}

/**
 * The identity labels of a server-named object: ownership plus the resource key
 * (`Kind/name`) and the object's role for that resource. Two objects with equal identity
 * labels are duplicates of one another.
 */
export function identityLabels(set: string, resourceKey: string, role: string): Record<string, string> {
  return {
    [LABEL_MANAGED_BY]: MANAGED_BY_VALUE,
    [LABEL_SET]: set,
    [LABEL_RESOURCE]: labelValue(resourceKey),
    [LABEL_ROLE]: labelValue(role),
  };
}

/** Whether live labels carry exactly this identity (see `identityLabels`). */
export function hasIdentity(labels: Record<string, string> | undefined, set: string, resourceKey: string, role: string): boolean {
  const want = identityLabels(set, resourceKey, role);
  return Object.entries(want).every(([k, v]) => labels?.[k] === v);
}

export { CLIENT_NAME, clientStamp };

/** Whether a recorded client name is runctl's. */
export function writtenByRunctl(client: string | undefined | null): boolean {
  return client === CLIENT_NAME;
}

/** Prefix of every label runctl itself writes besides `managed-by` (`runctl-set`, kinds' identity labels). */
export const RUNCTL_LABEL_PREFIX = 'runctl-';

/**
 * Live labels as a manifest would declare them: runctl's own markers (`managed-by:
 * runctl`, `runctl-*`) are not the user's labels, so `get -o yaml` leaves them out of
 * `metadata.labels` (an abandon marker becomes the annotation it came from) and reports
 * the owner separately. Piped back into `diff`, nothing differs: runctl adds its markers
 * itself, and labels a manifest leaves out are not compared.
 */
export function manifestLabels(labels: Record<string, string> | undefined): {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  owner?: { managedBy: string; set?: string };
} {
  const out: Record<string, string> = {};
  const annotations: Record<string, string> = {};
  const ours = labels?.[LABEL_MANAGED_BY] === MANAGED_BY_VALUE;
  for (const [k, v] of Object.entries(labels ?? {})) {
    if (ours && (k === LABEL_MANAGED_BY || k.startsWith(RUNCTL_LABEL_PREFIX))) continue;
    out[k] = v;
  }
  if (ours && labels?.[LABEL_DELETION_POLICY] === 'abandon') annotations[ANNOTATION_DELETION_POLICY] = 'abandon';
  const by = labels?.[LABEL_MANAGED_BY];
  return { labels: out, annotations, owner: by ? { managedBy: by, ...(ours && labels?.[LABEL_SET] ? { set: labels[LABEL_SET] } : {}) } : undefined };
}
