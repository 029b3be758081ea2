/**
 * The Binary Authorization policy in two forms: the v1 REST `Policy` object and the
 * runctl manifest form (`defaultRule`, `allowlist`). Pure translation, shared by the
 * Policy controller and its tests. gcp-apis.md §4.
 */

/** API root of Binary Authorization (the emulator serves the same paths). */
export const BINAUTHZ_ROOT = 'https://binaryauthorization.googleapis.com';

export const ENFORCED = 'ENFORCED_BLOCK_AND_AUDIT_LOG';

/** The REST Policy, as far as runctl reads and writes it. */
export interface ApiPolicy {
  name?: string;
  description?: string;
  globalPolicyEvaluationMode?: string;
  admissionWhitelistPatterns?: Array<{ namePattern?: string }>;
  defaultAdmissionRule?: { evaluationMode?: string; enforcementMode?: string; requireAttestationsBy?: string[] };
  clusterAdmissionRules?: Record<string, unknown>;
  kubernetesNamespaceAdmissionRules?: Record<string, unknown>;
  kubernetesServiceAccountAdmissionRules?: Record<string, unknown>;
  istioServiceIdentityAdmissionRules?: Record<string, unknown>;
  updateTime?: string;
  etag?: string;
}

/** The manifest form of a policy (what `spec` holds, normalised). */
export type PolicyForm = {
  defaultRule: { evaluationMode: string; enforcementMode: string; requireAttestationsBy?: string[] };
  allowlist: string[];
};

/** A policy as a manifest or the API may give it: every field optional. */
export interface PolicyInput {
  defaultRule?: { evaluationMode?: string; enforcementMode?: string; requireAttestationsBy?: string[] };
  allowlist?: string[];
}

const sortedSet = (xs: Iterable<string>) => [...new Set(xs)].sort();

/** Manifest spec → normalised form (defaults filled: the PUT replaces the whole policy). */
export function policyForm(spec: PolicyInput): PolicyForm {
  const rule = spec.defaultRule ?? {};
  const attestors = sortedSet(rule.requireAttestationsBy ?? []);
  return {
    defaultRule: {
      evaluationMode: rule.evaluationMode ?? 'ALWAYS_ALLOW',
      enforcementMode: rule.enforcementMode ?? ENFORCED,
      ...(attestors.length ? { requireAttestationsBy: attestors } : {}),
    },
    allowlist: sortedSet(spec.allowlist ?? []),
  };
}

/** Live REST policy → normalised manifest form. */
export function readPolicy(p: ApiPolicy): PolicyForm {
  return policyForm({
    defaultRule: {
      evaluationMode: p.defaultAdmissionRule?.evaluationMode,
      enforcementMode: p.defaultAdmissionRule?.enforcementMode,
      requireAttestationsBy: p.defaultAdmissionRule?.requireAttestationsBy,
    },
    allowlist: (p.admissionWhitelistPatterns ?? []).map((w) => w.namePattern ?? '').filter(Boolean),
  });
}

/**
 * The policy has no labels: ownership lives in `description` as `key=value` words
 * (`managed-by=runctl runctl-set=default`). Other words are ignored.
 */
export function labelsFromDescription(description: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const word of (description ?? '').split(/\s+/)) {
    const m = /^([a-z][a-z0-9_.-]*)=([A-Za-z0-9_.-]*)$/.exec(word);
    if (m) out[m[1]] = m[2];
  }
  return out;
}

/** Labels → description text, ownership first, then the rest sorted by key. */
export function descriptionFromLabels(labels: Record<string, string>): string {
  const first = ['managed-by', 'runctl-set'];
  const keys = [...first.filter((k) => k in labels), ...Object.keys(labels).filter((k) => !first.includes(k)).sort()];
  return keys.map((k) => `${k}=${labels[k]}`).join(' ');
}

/** Whether a map of rules is empty (absent, `{}`). */
const noRules = (m: Record<string, unknown> | undefined) => !m || Object.keys(m).length === 0;

/**
 * Whether the live policy is the project's untouched default (what GET returns until
 * someone sets one): allow everything, no allowlist, no other rules, no owner. runctl
 * treats it as "no policy yet", so the first apply is a create and needs no --adopt.
 */
export function isDefaultPolicy(p: ApiPolicy): boolean {
  const rule = p.defaultAdmissionRule ?? {};
  return (
    (rule.evaluationMode ?? 'ALWAYS_ALLOW') === 'ALWAYS_ALLOW' &&
    (rule.enforcementMode ?? ENFORCED) === ENFORCED &&
    !(rule.requireAttestationsBy ?? []).length &&
    !(p.admissionWhitelistPatterns ?? []).length &&
    noRules(p.clusterAdmissionRules) &&
    noRules(p.kubernetesNamespaceAdmissionRules) &&
    noRules(p.kubernetesServiceAccountAdmissionRules) &&
    noRules(p.istioServiceIdentityAdmissionRules) &&
    !Object.keys(labelsFromDescription(p.description)).length
  );
}

/** The PUT body: the live policy with the declared parts replaced (other rule maps kept). */
export function policyBody(live: ApiPolicy | undefined, form: PolicyForm, labels: Record<string, string>): ApiPolicy {
  const body: ApiPolicy = { ...(live ?? {}) };
  delete body.name;
  delete body.updateTime;
  body.globalPolicyEvaluationMode ??= 'ENABLE';
  body.description = descriptionFromLabels(labels);
  body.defaultAdmissionRule = {
    evaluationMode: form.defaultRule.evaluationMode,
    enforcementMode: form.defaultRule.enforcementMode,
    ...(form.defaultRule.requireAttestationsBy?.length ? { requireAttestationsBy: form.defaultRule.requireAttestationsBy } : {}),
  };
  body.admissionWhitelistPatterns = form.allowlist.map((namePattern) => ({ namePattern }));
  return body;
}

/** The policy a project has before anyone sets one (as `gcloud ... policy export` shows it). */
export function defaultPolicyBody(etag?: string): ApiPolicy {
  return {
    globalPolicyEvaluationMode: 'ENABLE',
    defaultAdmissionRule: { evaluationMode: 'ALWAYS_ALLOW', enforcementMode: ENFORCED },
    ...(etag ? { etag } : {}),
  };
}
