/**
 * Organisation policy constraints the emulated organisation enforces, shared by every
 * module that writes IAM policies. Today one: Domain Restricted Sharing
 * (`constraints/iam.allowedPolicyMemberDomains`), under which a policy naming `allUsers`
 * or `allAuthenticatedUsers` is refused. Seeded from `--org-policy` (`options.orgPolicies`)
 * and managed at `/__emulator/org-policies` (GET; PUT `{"policies": [...]}`).
 * Behaviour and sources: `src/emulator/spec/domain-mappings.md`, "Organisation policy".
 */
import type { EmulatorCore } from './core';
import { Code, EmulatorError } from './errors';
import type { Router } from './http';

/** The constraints the emulator knows, by the name the flag takes. */
export const ORG_POLICIES = ['domain-restricted-sharing'] as const;
export type OrgPolicyName = (typeof ORG_POLICIES)[number];

/** Members Domain Restricted Sharing refuses: they belong to no permitted customer. */
const PUBLIC_MEMBERS = new Set(['allUsers', 'allAuthenticatedUsers']);

interface OrgPolicyState {
  enforced: string[];
}

function state(core: EmulatorCore): OrgPolicyState {
  const st = core.ns<OrgPolicyState>('orgPolicy', () => ({ enforced: [...(core.options.orgPolicies ?? [])] }));
  st.enforced ??= [];
  return st;
}

/** Whether the emulated organisation enforces a constraint now. */
export function enforces(core: EmulatorCore, policy: OrgPolicyName): boolean {
  return state(core).enforced.includes(policy);
}

/**
 * Refuse an IAM policy naming public members while Domain Restricted Sharing is enforced,
 * with Google's FAILED_PRECONDITION and message (Cloud Run adds "perhaps due to an
 * organization policy"; Resource Manager and the others end after "customer.").
 */
export function checkPolicyMembers(core: EmulatorCore, bindings: Array<{ members?: string[] | null }>, api: 'run' | 'other' = 'other'): void {
  if (!enforces(core, 'domain-restricted-sharing')) return;
  const offending = bindings.flatMap((b) => b.members ?? []).find((m) => PUBLIC_MEMBERS.has(m));
  if (!offending) return;
  const message =
    api === 'run'
      ? 'One or more users named in the policy do not belong to a permitted customer,  perhaps due to an organization policy.'
      : 'One or more users named in the policy do not belong to a permitted customer.';
  throw new EmulatorError(Code.FAILED_PRECONDITION, message);
}

function policiesOf(body: unknown): OrgPolicyName[] {
  const list = (body as { policies?: unknown } | undefined)?.policies;
  if (!Array.isArray(list) || list.some((p) => !(ORG_POLICIES as readonly unknown[]).includes(p))) {
    throw new EmulatorError(Code.INVALID_ARGUMENT, `expected {"policies": [...]} with names from: ${ORG_POLICIES.join(', ')}`);
  }
  return [...new Set(list as OrgPolicyName[])];
}

/** The `/__emulator/org-policies` admin routes. */
export function orgPolicyRoutes(router: Router, core: EmulatorCore): void {
  router.add('GET', '/__emulator/org-policies', () => ({ policies: [...state(core).enforced] }));
  router.add('PUT', '/__emulator/org-policies', (req) => {
    state(core).enforced = policiesOf(req.body);
    core.persist();
    return { policies: [...state(core).enforced] };
  });
}
