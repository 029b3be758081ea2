/**
 * What Cloud Run checks when a revision reads secrets (the revision admission hook,
 * `core.imageAdmission`): every referenced secret must exist with the referenced
 * version, and the revision's service account must hold `secretmanager.versions.access`
 * on it - through the secret's own policy or the project's (`core.directory`). The
 * roles that carry that permission: roles/secretmanager.secretAccessor,
 * roles/secretmanager.admin and the basic roles/owner (roles/editor and roles/viewer
 * do not). Messages are Cloud Run's, one line per reference (spec/secret-manager.md).
 */
import type { EmulatorCore } from '../../core';
import type { ImageAdmissionRequest, ImageDenial } from '../../admission';
import { policyOf } from './iam';
import { findSecret, publicName, type SecretRecord } from './state';
import { resolveVersion } from './versions';

/** Roles that include secretmanager.versions.access. */
export const ACCESS_ROLES = new Set(['roles/secretmanager.secretAccessor', 'roles/secretmanager.admin', 'roles/owner']);

/** Whether `member` holds a role with secretmanager.versions.access on `project`. */
function projectAccess(core: EmulatorCore, project: string, member: string): boolean {
  return core.directory.projectRoles(project, member).some((r) => ACCESS_ROLES.has(r));
}

/** Whether `member` may access the payloads of a secret of `project`. */
export function canAccess(core: EmulatorCore, rec: SecretRecord, project: string, member: string): boolean {
  // allUsers and allAuthenticatedUsers include every service account, as in IAM.
  const covers = (members: string[]) => members.includes(member) || members.includes('allUsers') || members.includes('allAuthenticatedUsers');
  const onSecret = policyOf(rec).bindings.some((b) => !b.condition && ACCESS_ROLES.has(b.role) && covers(b.members));
  return onSecret || projectAccess(core, project, member);
}

/** A reference's project and secret ID (a short name is in the revision's project). */
function target(ref: { secret: string }, project: string): { project: string; id: string } {
  const m = /^projects\/([^/]+)\/secrets\/([^/]+)$/.exec(ref.secret);
  return m ? { project: m[1], id: m[2] } : { project, id: ref.secret };
}

/** Why one reference fails, or undefined when the revision may read it. */
function problem(core: EmulatorCore, req: ImageAdmissionRequest, ref: { secret: string; version: string; path: string }): string | undefined {
  const t = target(ref, req.project);
  const name = `${publicName(core, t.id)}/versions/${ref.version}`;
  const rec = findSecret(core, t.project, t.id);
  const account = req.serviceAccount ?? `${core.projectNumber}-compute@developer.gserviceaccount.com`;
  const denied = `${ref.path}: Permission denied on secret: ${name} for Revision service account ${account}. The service account used must be granted the 'Secret Manager Secret Accessor' role (roles/secretmanager.secretAccessor) at the secret, project or higher level.`;
  const member = `serviceAccount:${account}`;
  // IAM is checked first: only a caller allowed to read the project learns that a secret is missing.
  if (!rec) return projectAccess(core, t.project, member) ? `${ref.path}: Secret ${name} was not found` : denied;
  if (!canAccess(core, rec, t.project, member)) return denied;
  try {
    const { v } = resolveVersion(core, rec, t.id, ref.version);
    if (v.version.state !== 'ENABLED') return `${ref.path}: Secret ${name} is in ${v.version.state} state`;
  } catch {
    return `${ref.path}: Secret ${name} was not found`;
  }
  return undefined;
}

/** The admission check this module registers: SECRETS_ACCESS_CHECK_FAILED with every problem. */
export function secretAdmission(core: EmulatorCore): (req: ImageAdmissionRequest) => ImageDenial | undefined {
  return (req) => {
    const lines = (req.secrets ?? []).map((ref) => problem(core, req, ref)).filter((l): l is string => !!l);
    return lines.length ? { reason: 'SECRETS_ACCESS_CHECK_FAILED', message: lines.join('\n') } : undefined;
  };
}
