/**
 * IAM on repositories (Get/SetIamPolicy, TestIamPermissions: methods of the
 * `ArtifactRegistry` service). SetIamPolicy replaces the policy and checks its etag
 * (stale -> ABORTED, as IAM answers); bindings of one role are merged.
 */
import { randomBytes } from 'node:crypto';
import type { EmulatorCore } from '../../core';
import { checkPolicyMembers } from '../../org-policy';
import { Code, EmulatorError } from '../../errors';
import { canonical } from './protos';
import { arNs, invalid, requireRepo, type PolicyRecord } from './state';

/** The etag of a policy never set (bytes 00 00 01), as IAM reports it. */
const EMPTY_ETAG = 'ACAB';
const MEMBER = /^(allUsers|allAuthenticatedUsers|(user|serviceAccount|group|domain|principal|principalSet|deleted:user|deleted:serviceAccount|deleted:group):.+)$/;
const ROLE = /^(roles\/[A-Za-z0-9_.]+|(projects|organizations)\/[^/]+\/roles\/[A-Za-z0-9_.]+)$/;

/** A repository's policy (the empty one until set). */
export function policyOf(core: EmulatorCore, repo: string): PolicyRecord {
  return arNs(core).policies[repo] ?? { version: 0, bindings: [], etag: EMPTY_ETAG };
}

function normalizeBindings(bindings: PolicyRecord['bindings']): PolicyRecord['bindings'] {
  const byKey = new Map<string, PolicyRecord['bindings'][number]>();
  for (const b of bindings) {
    if (!b.role || !ROLE.test(b.role)) throw invalid(`Invalid role "${b.role ?? ''}".`);
    for (const m of b.members ?? []) if (!MEMBER.test(m)) throw invalid(`Invalid member "${m}".`);
    const key = JSON.stringify([b.role, b.condition ?? null]);
    const target = byKey.get(key) ?? { role: b.role, members: [], ...(b.condition ? { condition: b.condition } : {}) };
    for (const m of b.members ?? []) if (!target.members.includes(m)) target.members.push(m);
    byKey.set(key, target);
  }
  return [...byKey.values()].filter((b) => b.members.length);
}

export function getIamPolicy(core: EmulatorCore, req: any): PolicyRecord {
  return policyOf(core, requireRepo(core, req.resource).rn.name);
}

export function setIamPolicy(core: EmulatorCore, req: any): PolicyRecord {
  const { rn } = requireRepo(core, req.resource);
  if (!req.policy) throw invalid('policy is required.');
  const input = canonical('google.iam.v1.Policy', req.policy) as Partial<PolicyRecord>;
  const current = policyOf(core, rn.name);
  if (input.etag && input.etag !== current.etag) {
    throw new EmulatorError(Code.ABORTED, 'There were concurrent policy changes. Please retry the whole read-modify-write with exponential backoff.');
  }
  const bindings = normalizeBindings(input.bindings ?? []);
  // Domain Restricted Sharing refuses public members (`--org-policy domain-restricted-sharing`).
  checkPolicyMembers(core, bindings);
  const conditional = bindings.some((b) => b.condition);
  if (conditional && (input.version ?? 0) < 3) throw invalid('Policies with conditional role bindings must set version 3.');
  const next: PolicyRecord = { version: conditional ? 3 : 1, bindings, etag: randomBytes(8).toString('base64') };
  arNs(core).policies[rn.name] = next;
  return next;
}

export function testIamPermissions(core: EmulatorCore, req: any): { permissions: string[] } {
  requireRepo(core, req.resource);
  // The emulator has no access control: the caller holds every permission it asks about.
  return { permissions: req.permissions ?? [] };
}
