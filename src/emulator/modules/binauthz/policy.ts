/**
 * The project policy (`projects/{p}/policy`): the default policy until the first PUT,
 * whole-policy replacement with etag checks, and validation of enum values, attestor
 * names and allowlist patterns the way the real API rejects them (400 INVALID_ARGUMENT).
 */
import type { EmulatorCore } from '../../core';
import { binauthzState, checkFields, clone, etagMismatch, invalid, type Schema } from './state';

const EVALUATION_MODES = ['ALWAYS_ALLOW', 'REQUIRE_ATTESTATION', 'ALWAYS_DENY'];
const ENFORCEMENT_MODES = ['ENFORCED_BLOCK_AND_AUDIT_LOG', 'DRYRUN_AUDIT_LOG_ONLY'];
const GLOBAL_MODES = ['GLOBAL_POLICY_EVALUATION_MODE_UNSPECIFIED', 'ENABLE', 'DISABLE'];
const ATTESTOR_NAME = /^projects\/[^/]+\/attestors\/[^/]+$/;

const RULE: Schema = { evaluationMode: true, requireAttestationsBy: true, enforcementMode: true };
const POLICY: Schema = {
  name: true,
  description: true,
  globalPolicyEvaluationMode: true,
  admissionWhitelistPatterns: { list: { namePattern: true } },
  clusterAdmissionRules: { map: RULE },
  kubernetesNamespaceAdmissionRules: { map: RULE },
  kubernetesServiceAccountAdmissionRules: { map: RULE },
  istioServiceIdentityAdmissionRules: { map: RULE },
  defaultAdmissionRule: RULE,
  updateTime: true,
  etag: true,
};

/** The policy a project has before anyone sets one (as `gcloud container binauthz policy export` shows it). */
export function defaultPolicy(core: EmulatorCore, project: string): any {
  return {
    name: `projects/${project}/policy`,
    globalPolicyEvaluationMode: 'ENABLE',
    defaultAdmissionRule: { evaluationMode: 'ALWAYS_ALLOW', enforcementMode: 'ENFORCED_BLOCK_AND_AUDIT_LOG' },
    updateTime: core.nowIso(),
    etag: core.newEtag(),
  };
}

/**
 * The project's current policy. The default policy is materialised (and persisted) on
 * first read so that its etag stays stable across reads and restarts.
 */
export function currentPolicy(core: EmulatorCore, project: string): any {
  const st = binauthzState(core);
  if (!st.policies[project]) {
    st.policies[project] = defaultPolicy(core, project);
    core.persist();
  }
  return st.policies[project];
}

function validateRule(rule: any, at: string): void {
  if (!EVALUATION_MODES.includes(rule.evaluationMode)) {
    invalid(`Invalid value at '${at}.evaluation_mode' ("${rule.evaluationMode ?? ''}"): must be one of ${EVALUATION_MODES.join(', ')}.`);
  }
  if (!ENFORCEMENT_MODES.includes(rule.enforcementMode)) {
    invalid(`Invalid value at '${at}.enforcement_mode' ("${rule.enforcementMode ?? ''}"): must be one of ${ENFORCEMENT_MODES.join(', ')}.`);
  }
  const by = rule.requireAttestationsBy ?? [];
  if (!Array.isArray(by)) invalid(`Invalid value at '${at}.require_attestations_by': expected a list of attestor names.`);
  for (const a of by) {
    if (typeof a !== 'string' || !ATTESTOR_NAME.test(a)) {
      invalid(`Invalid value at '${at}.require_attestations_by' ("${a}"): attestor names have the form projects/*/attestors/*.`);
    }
  }
  if (rule.evaluationMode === 'REQUIRE_ATTESTATION' && by.length === 0) {
    invalid(`${at}.require_attestations_by must name at least one attestor when evaluation_mode is REQUIRE_ATTESTATION.`);
  }
  if (rule.evaluationMode !== 'REQUIRE_ATTESTATION' && by.length > 0) {
    invalid(`${at}.require_attestations_by must be empty unless evaluation_mode is REQUIRE_ATTESTATION.`);
  }
}

/** Allowlist patterns: `registry/path/image`, with a single trailing `*` or `**` after the registry. */
export function validatePattern(pattern: unknown, at: string): void {
  if (typeof pattern !== 'string' || !pattern) invalid(`${at}.name_pattern is required.`);
  const body = pattern.endsWith('**') ? pattern.slice(0, -2) : pattern.endsWith('*') ? pattern.slice(0, -1) : pattern;
  if (body.includes('*')) invalid(`Invalid value at '${at}.name_pattern' ("${pattern}"): only a trailing * or ** wildcard is allowed.`);
  if (body.length !== pattern.length && !body.includes('/')) {
    invalid(`Invalid value at '${at}.name_pattern' ("${pattern}"): a wildcard is allowed only after the registry/ part.`);
  }
}

/** Validate and normalise a PUT body into a policy (output fields dropped). */
export function parsePolicy(body: unknown): any {
  if (body === undefined) invalid('Invalid JSON payload received. The request body must be a Policy.');
  const p = checkFields(body, POLICY, 'policy');
  if (!p.defaultAdmissionRule) invalid('policy.default_admission_rule is required.');
  validateRule(p.defaultAdmissionRule, 'policy.default_admission_rule');
  for (const map of ['clusterAdmissionRules', 'kubernetesNamespaceAdmissionRules', 'kubernetesServiceAccountAdmissionRules', 'istioServiceIdentityAdmissionRules']) {
    for (const [k, rule] of Object.entries(p[map] ?? {})) validateRule(rule, `policy.${map}[${k}]`);
  }
  if (p.globalPolicyEvaluationMode !== undefined && !GLOBAL_MODES.includes(p.globalPolicyEvaluationMode)) {
    invalid(`Invalid value at 'policy.global_policy_evaluation_mode' ("${p.globalPolicyEvaluationMode}"): must be one of ${GLOBAL_MODES.join(', ')}.`);
  }
  (p.admissionWhitelistPatterns ?? []).forEach((w: any, i: number) => validatePattern(w.namePattern, `policy.admission_whitelist_patterns[${i}]`));
  return p;
}

/** GetPolicy. */
export function getPolicy(core: EmulatorCore, project: string): any {
  return clone(currentPolicy(core, project));
}

/** UpdatePolicy: whole replacement; a body etag that is not the current one → 409 ABORTED. */
export function putPolicy(core: EmulatorCore, project: string, body: unknown): any {
  const p = parsePolicy(body);
  const name = `projects/${project}/policy`;
  const existing = binauthzState(core).policies[project];
  if (p.etag !== undefined && p.etag !== (existing ?? currentPolicy(core, project)).etag) etagMismatch(name);
  const next = { ...p, name, updateTime: core.nowIso(), etag: core.newEtag() };
  binauthzState(core).policies[project] = next;
  return clone(next);
}
