/**
 * Service accounts have no labels, so runctl keeps its ownership record in the account's
 * description, as Policy does for the label-less Binary Authorization policy: a bracketed
 * tail of `key=value` words, e.g.
 *
 *     runs the jokes API [managed-by=runctl runctl-set=default roles=aiplatform.user]
 *
 * `roles` lists the project roles runctl granted to the account (`roles/` left out):
 * the proof runctl needs before it ever revokes one. Everything before the tail is the
 * manifest's `spec.description`.
 */
import { LABEL_MANAGED_BY } from '../../src/engine/ownership';

/** IAM's limit on a description (bytes). */
export const DESCRIPTION_LIMIT = 256;

const TAIL = /\s*\[((?:[a-z][a-z0-9_.-]*=[^\s\]]*)(?: [a-z][a-z0-9_.-]*=[^\s\]]*)*)\]$/;
const ROLES_KEY = 'roles';

/** What a live description holds: the user's text, runctl's labels and the roles it granted. */
export interface DescriptionRecord {
  text?: string;
  labels: Record<string, string>;
  /** Full role names (`roles/x`, `projects/p/roles/x`), sorted. */
  granted: string[];
}

const short = (role: string) => (role.startsWith('roles/') ? role.slice('roles/'.length) : role);
const full = (role: string) => (role.includes('/') ? role : `roles/${role}`);

/** Read a live description. A tail without `managed-by` is not runctl's and stays text. */
export function readDescription(description: string | null | undefined): DescriptionRecord {
  const all = description ?? '';
  const m = TAIL.exec(all);
  const words = m ? Object.fromEntries(m[1].split(' ').map((w) => [w.slice(0, w.indexOf('=')), w.slice(w.indexOf('=') + 1)])) : {};
  if (!m || !words[LABEL_MANAGED_BY]) return { text: all || undefined, labels: {}, granted: [] };
  const { [ROLES_KEY]: roles, ...labels } = words;
  const text = all.slice(0, m.index).trimEnd();
  return { text: text || undefined, labels, granted: (roles ? roles.split(',').filter(Boolean).map(full) : []).sort() };
}

/** The description runctl writes: the user's text, then the record (ownership first). */
export function writeDescription(text: string | undefined, labels: Record<string, string>, granted: readonly string[]): string {
  const first = ['managed-by', 'runctl-set'];
  const keys = [...first.filter((k) => k in labels), ...Object.keys(labels).filter((k) => !first.includes(k)).sort()];
  const words = keys.map((k) => `${k}=${labels[k]}`);
  if (granted.length) words.push(`${ROLES_KEY}=${[...granted].sort().map(short).join(',')}`);
  const tail = words.length ? `[${words.join(' ')}]` : '';
  return [text, tail].filter(Boolean).join(' ');
}
