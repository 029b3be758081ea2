/**
 * google.iam.v1 policies as IAM stores them, shared by project policies (Resource
 * Manager) and service-account policies (IAM): validation, normalisation and the etag
 * check of SetIamPolicy. See `src/emulator/spec/iam.md`.
 */
import { Code, EmulatorError } from '../../errors';
import { EMPTY_POLICY_ETAG, newPolicyEtag, type Binding, type PolicyRecord } from './state';

const MEMBER = /^(allUsers|allAuthenticatedUsers|(user|serviceAccount|group|domain|principal|principalSet):[^\s:]+|deleted:(user|serviceAccount|group):\S+)$/;
const ROLE = /^(roles\/[A-Za-z0-9_.]+|(projects|organizations)\/[^/]+\/roles\/[A-Za-z0-9_.]+)$/;

/** The message IAM answers a concurrent change with (409 ABORTED). */
export const CONCURRENT_CHANGE = 'There were concurrent policy changes. Please retry the whole read-modify-write with exponential backoff.';

/** A policy's etag as sent: gRPC gives bytes, REST JSON base64 text. */
export function etagText(etag: unknown): string | undefined {
  if (etag === undefined || etag === null) return undefined;
  if (Buffer.isBuffer(etag) || etag instanceof Uint8Array) return etag.length ? Buffer.from(etag).toString('base64') : undefined;
  const s = String(etag);
  return s || undefined;
}

/** The policy as the API returns it (empty lists left out, as Google's JSON does). */
export function policyWire(p: PolicyRecord): Record<string, unknown> {
  const out: Record<string, unknown> = { version: p.version, etag: p.etag };
  if (p.bindings.length) out.bindings = p.bindings;
  if (p.auditConfigs?.length) out.auditConfigs = p.auditConfigs;
  return out;
}

export function emptyPolicy(): PolicyRecord {
  return { version: 1, bindings: [], etag: EMPTY_POLICY_ETAG };
}

/** Merge bindings of one role and condition, drop duplicate members and empty bindings; validate. */
function normalizeBindings(bindings: Binding[], accountExists: (email: string) => boolean): Binding[] {
  const byKey = new Map<string, Binding>();
  for (const b of bindings) {
    if (!b.role || !ROLE.test(b.role)) throw new EmulatorError(Code.INVALID_ARGUMENT, `Role ${b.role ?? ''} is not supported for this resource.`);
    for (const m of b.members ?? []) {
      if (!MEMBER.test(m)) throw new EmulatorError(Code.INVALID_ARGUMENT, 'Policy members must be of the form "<type>:<value>".');
      if (m.startsWith('serviceAccount:') && !accountExists(m.slice('serviceAccount:'.length))) {
        throw new EmulatorError(Code.INVALID_ARGUMENT, `Service account ${m.slice('serviceAccount:'.length)} does not exist.`);
      }
    }
    const condition = b.condition && Object.keys(b.condition).length ? b.condition : undefined;
    const key = JSON.stringify([b.role, condition ?? null]);
    const target = byKey.get(key) ?? { role: b.role, members: [] as string[], ...(condition ? { condition } : {}) };
    for (const m of b.members ?? []) if (!target.members.includes(m)) target.members.push(m);
    byKey.set(key, target);
  }
  return [...byKey.values()].filter((b) => b.members.length);
}

/** What a SetIamPolicy request carries (both transports give this shape). */
export interface SetPolicyInput {
  policy?: { version?: number; bindings?: Binding[]; etag?: unknown; auditConfigs?: unknown[] };
  updateMask?: { paths?: string[] } | string;
}

/**
 * SetIamPolicy: replace the bindings (and, when the mask says so, the audit configs) of
 * `current`. A sent etag that is not the current one is ABORTED, as IAM answers.
 */
export function setPolicy(current: PolicyRecord, req: SetPolicyInput, accountExists: (email: string) => boolean): PolicyRecord {
  if (!req.policy) throw new EmulatorError(Code.INVALID_ARGUMENT, 'Request contains an invalid argument.');
  const sent = etagText(req.policy.etag);
  if (sent && sent !== current.etag) throw new EmulatorError(Code.ABORTED, CONCURRENT_CHANGE);
  const mask = typeof req.updateMask === 'string' ? req.updateMask.split(',').filter(Boolean) : req.updateMask?.paths ?? [];
  // Default mask per iam_policy.proto: "bindings, etag".
  const paths = mask.length ? mask : ['bindings', 'etag'];
  const next: PolicyRecord = { ...current, etag: newPolicyEtag() };
  if (paths.includes('bindings')) next.bindings = normalizeBindings(req.policy.bindings ?? [], accountExists);
  if (paths.includes('audit_configs') || paths.includes('auditConfigs')) next.auditConfigs = req.policy.auditConfigs ?? [];
  const conditional = next.bindings.some((b) => b.condition);
  if (conditional && (req.policy.version ?? 0) < 3) {
    throw new EmulatorError(Code.INVALID_ARGUMENT, 'Conditional role bindings are only supported in policies of version 3 or greater.');
  }
  next.version = conditional ? 3 : 1;
  return next;
}

/** The roles `member` holds through `policy` (unconditional and conditional bindings). */
export function rolesOf(policy: PolicyRecord | undefined, member: string): string[] {
  return [...new Set((policy?.bindings ?? []).filter((b) => b.members.includes(member)).map((b) => b.role))].sort();
}
