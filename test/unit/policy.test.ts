/**
 * Policy, pure parts: manifest form ↔ Binary Authorization REST form, ownership in the
 * description, the default policy as "no policy yet", and planning.
 */
import { describe, expect, it } from 'vitest';
import { descriptionFromLabels, isDefaultPolicy, labelsFromDescription, policyBody, policyForm, readPolicy, type ApiPolicy } from '../../controllers/policy/binauthz-policy';
import { policyController as typed } from '../../controllers/policy';
import type { AnyController, Observed, PlanContext } from '../../src/engine/controller';

/** As the engine holds it: any manifest, checked at run time. */
const policyController: AnyController = typed;
import type { Manifest } from '../../src/engine/types';

const ATTESTOR = 'projects/p/attestors/built-by-cloud-build';
const OWNER = { 'managed-by': 'runctl', 'runctl-set': 'default' };
const manifest = (spec: Record<string, any>, name = 'default'): Manifest => ({ apiVersion: 'runctl.dev/v1alpha1', kind: 'Policy', metadata: { name, labels: OWNER }, spec });
const ctx: PlanContext = { target: { mode: 'emulator', description: 't', fallbackProject: 'p', fallbackRegion: 'us-central1' }, set: 'default', manifestOf: () => undefined, statusOf: () => undefined, grantsOn: () => [] };
const strict = { defaultRule: { evaluationMode: 'REQUIRE_ATTESTATION', requireAttestationsBy: [ATTESTOR] }, allowlist: ['gcr.io/p/b/**', 'gcr.io/p/a/*'] };
const live = (p: ApiPolicy): Observed => {
  const exists = !isDefaultPolicy(p);
  return { exists, spec: exists ? (readPolicy(p) as any) : undefined, labels: labelsFromDescription(p.description), raw: { policy: p, missingAttestors: [] } };
};

describe('Policy: forms', () => {
  it('normalises a manifest: defaults filled, attestors and allowlist sorted as sets', () => {
    expect(policyForm({ ...strict, allowlist: ['b', 'a', 'b'] })).toEqual({
      defaultRule: { evaluationMode: 'REQUIRE_ATTESTATION', enforcementMode: 'ENFORCED_BLOCK_AND_AUDIT_LOG', requireAttestationsBy: [ATTESTOR] },
      allowlist: ['a', 'b'],
    });
    expect(policyForm({ defaultRule: { evaluationMode: 'ALWAYS_DENY' } })).toEqual({ defaultRule: { evaluationMode: 'ALWAYS_DENY', enforcementMode: 'ENFORCED_BLOCK_AND_AUDIT_LOG' }, allowlist: [] });
  });

  it('writes the API form and reads it back to the same manifest form', () => {
    const form = policyForm(strict);
    const body = policyBody({ globalPolicyEvaluationMode: 'DISABLE', etag: 'e1', name: 'projects/p/policy', updateTime: 'x' }, form, OWNER);
    expect(body).toEqual({
      globalPolicyEvaluationMode: 'DISABLE',
      etag: 'e1',
      description: 'managed-by=runctl runctl-set=default',
      defaultAdmissionRule: { evaluationMode: 'REQUIRE_ATTESTATION', enforcementMode: 'ENFORCED_BLOCK_AND_AUDIT_LOG', requireAttestationsBy: [ATTESTOR] },
      admissionWhitelistPatterns: [{ namePattern: 'gcr.io/p/a/*' }, { namePattern: 'gcr.io/p/b/**' }],
    });
    expect(readPolicy(body)).toEqual(form);
  });

  it('keeps ownership in the description, ownership first', () => {
    const text = descriptionFromLabels({ team: 'fun', ...OWNER });
    expect(text).toBe('managed-by=runctl runctl-set=default team=fun');
    expect(labelsFromDescription(`Locked by ops. ${text}`)).toEqual({ ...OWNER, team: 'fun' });
  });

  const defaults: Array<{ reason: string; policy: ApiPolicy; want: boolean }> = [
    { reason: 'what GET returns before any PUT', policy: { globalPolicyEvaluationMode: 'ENABLE', defaultAdmissionRule: { evaluationMode: 'ALWAYS_ALLOW', enforcementMode: 'ENFORCED_BLOCK_AND_AUDIT_LOG' } }, want: true },
    { reason: 'an allowlist makes it a real policy', policy: { defaultAdmissionRule: { evaluationMode: 'ALWAYS_ALLOW' }, admissionWhitelistPatterns: [{ namePattern: 'gcr.io/x/*' }] }, want: false },
    { reason: 'a deny rule makes it a real policy', policy: { defaultAdmissionRule: { evaluationMode: 'ALWAYS_DENY' } }, want: false },
    { reason: 'a runctl owner makes it a real policy', policy: { description: 'managed-by=runctl runctl-set=default', defaultAdmissionRule: { evaluationMode: 'ALWAYS_ALLOW' } }, want: false },
  ];
  it.each(defaults)('default policy? $reason', ({ policy, want }) => expect(isDefaultPolicy(policy)).toBe(want));
});

describe('Policy: validate and plan', () => {
  it('accepts only the name "default"', () => {
    expect(policyController.validate!(manifest(strict), [])).toEqual([]);
    const [d] = policyController.validate!(manifest(strict, 'strict'), []);
    expect(d).toMatchObject({ code: 'InvalidValue', path: 'metadata.name' });
  });

  const owned = (rule: Record<string, any>, allowlist: string[] = []): ApiPolicy => ({
    description: 'managed-by=runctl runctl-set=default',
    defaultAdmissionRule: { enforcementMode: 'ENFORCED_BLOCK_AND_AUDIT_LOG', ...rule },
    admissionWhitelistPatterns: allowlist.map((namePattern) => ({ namePattern })),
  });
  const cases: Array<{ reason: string; policy: ApiPolicy; action: string; paths: string[] }> = [
    { reason: 'the default policy is replaced by a create', policy: { defaultAdmissionRule: { evaluationMode: 'ALWAYS_ALLOW' } }, action: 'create', paths: ['spec.allowlist', 'spec.defaultRule'] },
    { reason: 'the same policy is a no-op', policy: owned({ evaluationMode: 'REQUIRE_ATTESTATION', requireAttestationsBy: [ATTESTOR] }, ['gcr.io/p/a/*', 'gcr.io/p/b/**']), action: 'noop', paths: [] },
    { reason: 'allowlist order does not matter', policy: owned({ evaluationMode: 'REQUIRE_ATTESTATION', requireAttestationsBy: [ATTESTOR] }, ['gcr.io/p/b/**', 'gcr.io/p/a/*']), action: 'noop', paths: [] },
    { reason: 'a loosened rule is drift', policy: owned({ evaluationMode: 'ALWAYS_ALLOW' }, ['gcr.io/p/a/*', 'gcr.io/p/b/**']), action: 'update', paths: ['spec.defaultRule.evaluationMode', 'spec.defaultRule.requireAttestationsBy'] },
    { reason: 'an extra allowlist entry is drift', policy: owned({ evaluationMode: 'REQUIRE_ATTESTATION', requireAttestationsBy: [ATTESTOR] }, ['**', 'gcr.io/p/a/*', 'gcr.io/p/b/**']), action: 'update', paths: ['spec.allowlist.0', 'spec.allowlist.1', 'spec.allowlist.2'] },
    { reason: 'dry-run enforcement is drift', policy: owned({ evaluationMode: 'REQUIRE_ATTESTATION', requireAttestationsBy: [ATTESTOR], enforcementMode: 'DRYRUN_AUDIT_LOG_ONLY' }, ['gcr.io/p/a/*', 'gcr.io/p/b/**']), action: 'update', paths: ['spec.defaultRule.enforcementMode'] },
  ];
  it.each(cases)('$reason', ({ policy, action, paths }) => {
    const m = manifest(strict);
    const id = policyController.identify(m, ctx);
    const plan = policyController.plan({ manifest: m, id, desired: policyController.desired({ manifest: m, id }, ctx), observed: live(policy) }, ctx);
    expect(plan.action).toBe(action);
    expect(plan.changes.map((c) => c.path)).toEqual(paths);
  });

  it('notes attestors that do not exist yet', () => {
    const m = manifest(strict);
    const obs = { ...live({ defaultAdmissionRule: { evaluationMode: 'ALWAYS_ALLOW' } }), raw: { policy: {}, missingAttestors: [ATTESTOR] } };
    const id = policyController.identify(m, ctx);
    const plan = policyController.plan({ manifest: m, id, desired: policyController.desired({ manifest: m, id }, ctx), observed: obs }, ctx);
    expect(plan.notes.join('\n')).toContain(`attestor ${ATTESTOR} does not exist yet (Cloud Build creates it`);
  });
});
