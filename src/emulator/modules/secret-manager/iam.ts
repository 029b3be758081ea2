/**
 * IAM on secrets (GetIamPolicy, SetIamPolicy, TestIamPermissions of
 * SecretManagerService). SetIamPolicy replaces the policy and checks its etag (a stale
 * etag is ABORTED, as IAM answers), merging bindings of the same role.
 */
import { randomBytes } from 'node:crypto';
import type { EmulatorCore } from '../../core';
import { Code, EmulatorError } from '../../errors';
import { checkPolicyMembers } from '../../org-policy';
import { invalid, requireSecret, type Binding, type PolicyRecord, type SecretRecord } from './state';

type Obj = Record<string, any>;

/** The etag of a policy never set (bytes 00 00 01), as IAM reports it. */
const EMPTY_ETAG = 'ACAB';
const MEMBER = /^(allUsers|allAuthenticatedUsers|(user|serviceAccount|group|domain|principal|principalSet|deleted:user|deleted:serviceAccount|deleted:group):.+)$/;
const ROLE = /^(roles\/[A-Za-z0-9_.]+|(projects|organizations)\/[^/]+\/roles\/[A-Za-z0-9_.]+)$/;

export function policyOf(rec: SecretRecord): PolicyRecord {
  return rec.policy ?? { version: 0, bindings: [], etag: EMPTY_ETAG };
}

/** etag as bytes on the wire (proto-loader hands `bytes` fields as Buffers). */
function etagBytes(etag: string): Buffer {
  return Buffer.from(etag, 'base64');
}

function wire(p: PolicyRecord): Obj {
  return { version: p.version, bindings: p.bindings, etag: etagBytes(p.etag) };
}

function normalizeBindings(core: EmulatorCore, bindings: Obj[]): Binding[] {
  const byKey = new Map<string, Binding>();
  bindings.forEach((b, i) => {
    if (!b.role || !ROLE.test(b.role)) throw invalid(`Invalid role '${b.role ?? ''}' in policy.bindings[${i}].`);
    for (const m of b.members ?? []) {
      if (!MEMBER.test(m)) throw invalid(`Invalid member '${m}' in policy.bindings[${i}].`);
      // IAM refuses a binding for an account that does not exist (core.directory knows them).
      if (m.startsWith('serviceAccount:') && !core.directory.serviceAccountExists(m.slice('serviceAccount:'.length))) {
        throw invalid(`Service account ${m.slice('serviceAccount:'.length)} does not exist.`);
      }
    }
    const key = JSON.stringify([b.role, b.condition ?? null]);
    const target = byKey.get(key) ?? { role: b.role, members: [] as string[], ...(b.condition ? { condition: b.condition } : {}) };
    for (const m of b.members ?? []) if (!target.members.includes(m)) target.members.push(m);
    byKey.set(key, target);
  });
  return [...byKey.values()].filter((b) => b.members.length);
}

export function getIamPolicy(core: EmulatorCore, req: Obj): Obj {
  return wire(policyOf(requireSecret(core, req.resource, 'resource').rec));
}

export function setIamPolicy(core: EmulatorCore, req: Obj): Obj {
  const { rec } = requireSecret(core, req.resource, 'resource');
  if (!req.policy) throw invalid('Field [policy] is required.');
  const current = policyOf(rec);
  const given = req.policy.etag ? Buffer.from(req.policy.etag).toString('base64') : '';
  if (given && given !== current.etag) {
    throw new EmulatorError(Code.ABORTED, 'There were concurrent policy changes. Please retry the whole read-modify-write with exponential backoff.');
  }
  const bindings = normalizeBindings(core, req.policy.bindings ?? []);
  // allUsers / allAuthenticatedUsers under Domain Restricted Sharing (--org-policy).
  checkPolicyMembers(core, bindings);
  const conditional = bindings.some((b) => b.condition);
  if (conditional && (req.policy.version ?? 0) < 3) throw invalid('Policies with conditional role bindings must set version 3.');
  rec.policy = { version: conditional ? 3 : 1, bindings, etag: randomBytes(8).toString('base64') };
  return wire(rec.policy);
}

export function testIamPermissions(core: EmulatorCore, req: Obj): Obj {
  requireSecret(core, req.resource, 'resource');
  // The emulator has no caller identity: the caller holds every permission it asks about.
  return { permissions: req.permissions ?? [] };
}
