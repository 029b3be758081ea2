/**
 * The Policy kind end to end: the project's Binary Authorization policy written by the
 * CLI and read back over plain HTTP, Cloud Run admission against it, drift and reset.
 */
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serviceYaml, startHarness, TRANSPORTS, type Harness } from '../helpers/harness';

const ATTESTOR = 'projects/local-project/attestors/built-by-cloud-build';
const UNTRUSTED = 'europe-north1-docker.pkg.dev/local-project/untrusted/app:1';
const policyYaml = (rule: string, allowlist = '[europe-north1-docker.pkg.dev/local-project/ci/**]') => `apiVersion: runctl.dev/v1alpha1
kind: Policy
metadata: {name: default}
spec:
  defaultRule: ${rule}
  allowlist: ${allowlist}
`;
const STRICT = `{evaluationMode: REQUIRE_ATTESTATION, enforcementMode: ENFORCED_BLOCK_AND_AUDIT_LOG, requireAttestationsBy: [${ATTESTOR}]}`;

describe.each(TRANSPORTS)('Policy end to end (%s)', (transport) => {
  let h: Harness;
  const url = () => `http://${h.emu.http}/v1/projects/local-project/policy`;
  const getPolicy = async () => (await fetch(url())).json() as Promise<any>;
  const putPolicy = async (body: unknown) => {
    const res = await fetch(url(), { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect(res.status).toBe(200);
  };
  const service = async (name: string) => (await h.clients.runServices().getService({ name: `projects/local-project/locations/europe-north1/services/${name}` }))[0] as any;

  beforeAll(async () => {
    h = await startHarness({ transport });
  });
  afterAll(async () => h?.close());

  it('replaces the default policy, records ownership in the description, then writes nothing', async () => {
    expect((await getPolicy()).defaultAdmissionRule.evaluationMode).toBe('ALWAYS_ALLOW');
    const file = h.write('policy/policy.yaml', policyYaml(STRICT));
    const first = await h.cli(['apply', '-f', file]);
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('+ Policy/default [local-project] (create)');
    expect(first.stdout).toContain(`attestor ${ATTESTOR} does not exist yet`);
    const p = await getPolicy();
    expect(p.defaultAdmissionRule).toEqual({ evaluationMode: 'REQUIRE_ATTESTATION', enforcementMode: 'ENFORCED_BLOCK_AND_AUDIT_LOG', requireAttestationsBy: [ATTESTOR] });
    expect(p.admissionWhitelistPatterns).toEqual([{ namePattern: 'europe-north1-docker.pkg.dev/local-project/ci/**' }]);
    expect(p.description).toBe('managed-by=runctl runctl-set=default');

    await h.resetStats();
    const second = await h.cli(['apply', '-f', file]);
    expect(second.code).toBe(0);
    expect(second.stdout).toContain('No changes');
    expect((await h.stats()).writes).toBe(0);
    const got = await h.cli(['get', 'policy', 'default', '-o', 'json']);
    expect(got.code).toBe(0);
    expect(got.stdout).toContain('REQUIRE_ATTESTATION');
  });

  it('blocks a Service whose image has no attestation, naming the policy; admits it once attested', async () => {
    const file = h.write('enforce/app.yaml', serviceYaml('app', { image: UNTRUSTED, binaryAuthorization: 'default' }));
    const denied = await h.cli(['apply', '-f', file]);
    expect(denied.code).toBe(1);
    expect(denied.stdout + denied.stderr).toContain(`is not authorized by policy 'projects/local-project/policy'`);
    expect((await service('app')).terminalCondition.reason).toBe('CONTAINER_IMAGE_UNAUTHORIZED');

    const res = await fetch(`http://${h.emu.http}/__emulator/attestations`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ images: [UNTRUSTED] }) });
    expect(res.status).toBe(200);
    // Admission is checked per revision, as in Cloud Run: the same apply redeploys the
    // refused template as a new revision, which is admitted and serves.
    const plan = await h.cli(['plan', '-f', file]);
    expect(plan.code).toBe(2);
    expect(plan.stdout).toContain('redeploys: latest revision');
    const again = await h.cli(['apply', '-f', file]);
    expect(again.code).toBe(0);
    const svc = await service('app');
    expect(svc.terminalCondition.state).toBe('CONDITION_SUCCEEDED');
    expect(svc.latestReadyRevision).toBe(svc.latestCreatedRevision);
    expect((await h.cli(['diff', '-f', file])).code).toBe(0);
  });

  it('admits allowlisted images without an attestation', async () => {
    const file = h.write('allow/ci.yaml', serviceYaml('ci-built', { image: 'europe-north1-docker.pkg.dev/local-project/ci/app:7', binaryAuthorization: 'default' }));
    expect((await h.cli(['apply', '-f', file])).code).toBe(0);
    expect((await service('ci-built')).terminalCondition.state).toBe('CONDITION_SUCCEEDED');
  });

  it('shows a loosened policy as drift and puts it back', async () => {
    const file = path.join(h.dir, 'policy/policy.yaml');
    const live = await getPolicy();
    // Someone loosens it by hand (keeping the description, as a console edit would).
    await putPolicy({ ...live, defaultAdmissionRule: { evaluationMode: 'ALWAYS_ALLOW', enforcementMode: 'DRYRUN_AUDIT_LOG_ONLY' }, admissionWhitelistPatterns: [...live.admissionWhitelistPatterns, { namePattern: 'docker.io/**' }] });
    const diff = await h.cli(['diff', '-f', file]);
    expect(diff.code).toBe(2);
    expect(diff.stdout).toContain('~ spec.defaultRule.evaluationMode: "ALWAYS_ALLOW" → "REQUIRE_ATTESTATION"');
    expect(diff.stdout).toContain('~ spec.defaultRule.enforcementMode: "DRYRUN_AUDIT_LOG_ONLY" → "ENFORCED_BLOCK_AND_AUDIT_LOG"');
    expect(diff.stdout).toContain('+ spec.defaultRule.requireAttestationsBy');
    expect(diff.stdout).toContain('spec.allowlist');
    expect((await h.cli(['apply', '-f', file])).code).toBe(0);
    const p = await getPolicy();
    expect(p.defaultAdmissionRule.evaluationMode).toBe('REQUIRE_ATTESTATION');
    expect(p.admissionWhitelistPatterns).toEqual([{ namePattern: 'europe-north1-docker.pkg.dev/local-project/ci/**' }]);
    expect((await h.cli(['diff', '-f', file])).code).toBe(0);
  });

  it('leaves a policy someone else set as the manifest says alone; refuses one that differs, unless --adopt', async () => {
    const file = path.join(h.dir, 'policy/policy.yaml');
    const live = await getPolicy();
    await putPolicy({ ...live, description: 'set by the security team' });
    await h.resetStats();
    const same = await h.cli(['apply', '-f', file]);
    expect(same.code, same.stdout + same.stderr).toBe(0);
    expect(same.stdout).toContain('not managed by runctl');
    expect((await h.stats()).writes).toBe(0);
    await putPolicy({ ...(await getPolicy()), admissionWhitelistPatterns: [{ namePattern: 'gcr.io/security/**' }] });
    await h.resetStats();
    const refused = await h.cli(['apply', '-f', file]);
    expect(refused.code).toBe(1);
    expect(refused.stdout + refused.stderr).toContain('--adopt');
    expect((await h.stats()).writes).toBe(0);
    expect((await h.cli(['apply', '-f', file, '--adopt'])).code).toBe(0);
    expect((await getPolicy()).description).toBe('managed-by=runctl runctl-set=default');
  });

  it('rejects a Policy not named default before any call', async () => {
    const file = h.write('bad/policy.yaml', policyYaml(STRICT).replace('name: default', 'name: strict'));
    await h.resetStats();
    const res = await h.cli(['apply', '-f', file]);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('metadata.name: a project has exactly one Binary Authorization policy: name it "default"');
    expect((await h.stats()).reads + (await h.stats()).writes).toBe(0);
  });

  it('delete resets the project to the default policy', async () => {
    const file = path.join(h.dir, 'policy/policy.yaml');
    const res = await h.cli(['delete', '-f', file, '--yes']);
    expect(res.code).toBe(0);
    const p = await getPolicy();
    expect(p.defaultAdmissionRule).toEqual({ evaluationMode: 'ALWAYS_ALLOW', enforcementMode: 'ENFORCED_BLOCK_AND_AUDIT_LOG' });
    expect(p.admissionWhitelistPatterns ?? []).toEqual([]);
    expect(p.description ?? '').toBe('');
    const plan = await h.cli(['plan', '-f', file]);
    expect(plan.stdout).toContain('+ Policy/default');
  });
});
