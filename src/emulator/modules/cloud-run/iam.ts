/**
 * IAM on Cloud Run services (GetIamPolicy, SetIamPolicy, TestIamPermissions — methods of
 * the `Services` gRPC service). SetIamPolicy replaces the whole policy and checks the
 * policy etag (stale → ABORTED, as IAM does).
 */
import { randomBytes } from 'node:crypto';
import type { EmulatorCore } from '../../core';
import { Code, EmulatorError } from '../../errors';
import { unary } from '../../grpc';
import { checkPolicyMembers } from '../../org-policy';
import { canonical } from './protos';
import { notFound, parseServiceName, runNs, violation, type Obj, type PolicyRecord } from './state';

/** The etag of a policy that was never set (bytes 00 00 01), as IAM reports it. */
const EMPTY_ETAG = 'ACAB';

const MEMBER = /^(allUsers|allAuthenticatedUsers|(user|serviceAccount|group|domain|principal|principalSet|deleted:user|deleted:serviceAccount|deleted:group):.+)$/;
const ROLE = /^(roles\/[A-Za-z0-9_.]+|(projects|organizations)\/[^/]+\/roles\/[A-Za-z0-9_.]+)$/;

/** The policy of a service (existing or not), or the empty policy. */
export function policyOf(core: EmulatorCore, serviceName: string): PolicyRecord {
  return runNs(core).policies[serviceName] ?? { version: 0, bindings: [], etag: EMPTY_ETAG };
}

function wire(p: PolicyRecord): Obj {
  const out: Obj = { version: p.version, bindings: p.bindings, etag: p.etag };
  if (p.auditConfigs?.length) out.auditConfigs = p.auditConfigs;
  return out;
}

function requireService(core: EmulatorCore, resource: unknown, field: string): string {
  const sn = parseServiceName(resource, field);
  if (!runNs(core).services[sn.name]) throw notFound('SERVICE', sn.service, sn);
  return sn.name;
}

/** Merge bindings of the same role and condition, drop duplicate members and empty bindings. */
function normalizeBindings(bindings: Obj[]): Obj[] {
  const byKey = new Map<string, Obj>();
  bindings.forEach((b, i) => {
    if (!b.role || !ROLE.test(b.role)) throw violation(`SetIamPolicyRequest.policy.bindings[${i}].role`, `invalid role '${b.role ?? ''}'.`);
    for (const m of b.members ?? []) {
      if (!MEMBER.test(m)) throw violation(`SetIamPolicyRequest.policy.bindings[${i}].members`, `invalid member '${m}'.`);
    }
    const key = JSON.stringify([b.role, b.condition ?? null]);
    const target = byKey.get(key) ?? { role: b.role, members: [] as string[], ...(b.condition ? { condition: b.condition } : {}) };
    for (const m of b.members ?? []) if (!target.members.includes(m)) target.members.push(m);
    byKey.set(key, target);
  });
  return [...byKey.values()].filter((b) => b.members.length);
}

function setPolicy(core: EmulatorCore, req: any): Obj {
  const name = requireService(core, req.resource, 'SetIamPolicyRequest.resource');
  if (!req.policy) throw violation('SetIamPolicyRequest.policy', 'required field not present.');
  const input = canonical('google.iam.v1.Policy', req.policy);
  const current = policyOf(core, name);
  if (input.etag && input.etag !== current.etag) {
    throw new EmulatorError(Code.ABORTED, 'There were concurrent policy changes. Please retry the whole read-modify-write with exponential backoff.');
  }
  // Default mask per iam_policy.proto: "bindings, etag".
  const paths: string[] = (req.updateMask?.paths ?? []).length ? req.updateMask.paths : ['bindings', 'etag'];
  const next: PolicyRecord = { ...current, bindings: current.bindings, etag: randomBytes(8).toString('base64') };
  if (paths.includes('bindings')) next.bindings = normalizeBindings(input.bindings ?? []);
  // Domain Restricted Sharing refuses public members (`--org-policy domain-restricted-sharing`).
  checkPolicyMembers(core, next.bindings, 'run');
  if (paths.includes('audit_configs') || paths.includes('auditConfigs')) next.auditConfigs = input.auditConfigs ?? [];
  const conditional = next.bindings.some((b) => b.condition);
  if (conditional && (input.version ?? 0) < 3) {
    throw violation('SetIamPolicyRequest.policy.version', 'policies with conditional role bindings must set version 3.');
  }
  next.version = conditional ? 3 : 1;
  runNs(core).policies[name] = next;
  return wire(next);
}

/** Handlers of the IAM methods of `google.cloud.run.v2.Services`. */
export function iamHandlers(core: EmulatorCore): Record<string, unknown> {
  return {
    GetIamPolicy: unary(core, 'Services.GetIamPolicy', 'read', (req) => {
      const name = requireService(core, req.resource, 'GetIamPolicyRequest.resource');
      return wire(policyOf(core, name));
    }),
    SetIamPolicy: unary(core, 'Services.SetIamPolicy', 'write', (req) => setPolicy(core, req)),
    TestIamPermissions: unary(core, 'Services.TestIamPermissions', 'read', (req) => {
      requireService(core, req.resource, 'TestIamPermissionsRequest.resource');
      // The emulator has no access control: the caller holds every permission it asks about.
      return { permissions: req.permissions ?? [] };
    }),
  };
}
