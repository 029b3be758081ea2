/**
 * Conformance: the Binary Authorization v1 REST API through plain authorized requests
 * (`Clients.rest`, as runctl's Policy controller sends them) — the default policy,
 * whole-policy PUT with etags, validation, and attestor CRUD with paging.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Clients, type RestRequest } from '../../src/gcp/clients';
import { startEmulator, type RunningEmulator } from '../../src/emulator/server';

const ROOT = 'https://binaryauthorization.googleapis.com';
const P = 'bin-proj';

interface Failure {
  status: number;
  error: { code: number; message: string; status: string };
}

describe('binauthz: policy and attestors over REST', () => {
  let emu: RunningEmulator;
  let clients: Clients;
  const call = <T = any>(method: RestRequest['method'], path: string, body?: unknown) => clients.rest<T>(ROOT, { method, path, body });
  const fail = async (method: RestRequest['method'], path: string, body?: unknown): Promise<Failure> => {
    try {
      await call(method, path, body);
    } catch (err: any) {
      return { status: err.response?.status, error: err.response?.data?.error };
    }
    throw new Error(`${method} ${path} succeeded`);
  };
  const rule = (evaluationMode: string, extra: object = {}) => ({ evaluationMode, enforcementMode: 'ENFORCED_BLOCK_AND_AUDIT_LOG', ...extra });

  beforeAll(async () => {
    emu = await startEmulator({ port: 0 });
    clients = new Clients({ mode: 'emulator', grpc: emu.grpc, http: emu.http });
  });
  afterAll(async () => {
    await clients?.close();
    await emu?.stop();
  });

  it('returns the default policy until one is set, with a stable etag', async () => {
    const policy = await call('GET', `/v1/projects/${P}/policy`);
    expect(policy).toMatchObject({
      name: `projects/${P}/policy`,
      globalPolicyEvaluationMode: 'ENABLE',
      defaultAdmissionRule: { evaluationMode: 'ALWAYS_ALLOW', enforcementMode: 'ENFORCED_BLOCK_AND_AUDIT_LOG' },
    });
    expect(Number.isNaN(Date.parse(policy.updateTime))).toBe(false);
    expect(policy.etag).toBeTruthy();
    expect((await call('GET', `/v1/projects/${P}/policy`)).etag).toBe(policy.etag);
  });

  it('replaces the policy with PUT, overwriting name and output fields', async () => {
    const before = await call('GET', `/v1/projects/${P}/policy`);
    const put = await call('PUT', `/v1/projects/${P}/policy`, {
      name: 'projects/elsewhere/policy',
      etag: before.etag,
      admissionWhitelistPatterns: [{ namePattern: 'gcr.io/bin-proj/trusted/*' }],
      defaultAdmissionRule: rule('REQUIRE_ATTESTATION', { requireAttestationsBy: [`projects/${P}/attestors/built-by-cloud-build`] }),
    });
    expect(put).toMatchObject({ name: `projects/${P}/policy`, defaultAdmissionRule: { evaluationMode: 'REQUIRE_ATTESTATION' } });
    expect(put.etag).not.toBe(before.etag);
    expect(put.globalPolicyEvaluationMode).toBeUndefined();
    expect(await call('GET', `/v1/projects/${P}/policy`)).toEqual(put);
  });

  it('answers a stale etag with 409 ABORTED, and accepts a PUT without etag', async () => {
    const current = await call('GET', `/v1/projects/${P}/policy`);
    const stale = await fail('PUT', `/v1/projects/${P}/policy`, { etag: 'stale', defaultAdmissionRule: rule('ALWAYS_DENY') });
    expect(stale).toMatchObject({ status: 409, error: { code: 409, status: 'ABORTED' } });
    expect((await call('GET', `/v1/projects/${P}/policy`)).etag).toBe(current.etag);
    const unconditional = await call('PUT', `/v1/projects/${P}/policy`, { defaultAdmissionRule: rule('ALWAYS_DENY') });
    expect(unconditional.defaultAdmissionRule.evaluationMode).toBe('ALWAYS_DENY');
  });

  const invalidPolicies: Array<{ reason: string; body: unknown }> = [
    { reason: 'no default rule', body: {} },
    { reason: 'unknown evaluation mode', body: { defaultAdmissionRule: rule('SOMETIMES') } },
    { reason: 'unspecified enforcement mode', body: { defaultAdmissionRule: { evaluationMode: 'ALWAYS_ALLOW', enforcementMode: 'ENFORCEMENT_MODE_UNSPECIFIED' } } },
    { reason: 'malformed attestor name', body: { defaultAdmissionRule: rule('REQUIRE_ATTESTATION', { requireAttestationsBy: ['built-by-cloud-build'] }) } },
    { reason: 'attestation required but no attestor', body: { defaultAdmissionRule: rule('REQUIRE_ATTESTATION') } },
    { reason: 'attestors without REQUIRE_ATTESTATION', body: { defaultAdmissionRule: rule('ALWAYS_ALLOW', { requireAttestationsBy: [`projects/${P}/attestors/a`] }) } },
    { reason: 'unknown field', body: { defaultAdmissionRule: rule('ALWAYS_ALLOW'), allowlist: [] } },
    { reason: 'wildcard inside a pattern', body: { defaultAdmissionRule: rule('ALWAYS_ALLOW'), admissionWhitelistPatterns: [{ namePattern: 'gcr.io/*/app' }] } },
    { reason: 'wildcard in the registry', body: { defaultAdmissionRule: rule('ALWAYS_ALLOW'), admissionWhitelistPatterns: [{ namePattern: 'gcr.i*' }] } },
    { reason: 'bad global evaluation mode', body: { defaultAdmissionRule: rule('ALWAYS_ALLOW'), globalPolicyEvaluationMode: 'MAYBE' } },
    { reason: 'bad cluster rule', body: { defaultAdmissionRule: rule('ALWAYS_ALLOW'), clusterAdmissionRules: { 'us-central1.c1': rule('NEVER') } } },
  ];
  for (const c of invalidPolicies) {
    it(`rejects a policy with 400 INVALID_ARGUMENT: ${c.reason}`, async () => {
      expect(await fail('PUT', `/v1/projects/${P}/policy`, c.body)).toMatchObject({ status: 400, error: { status: 'INVALID_ARGUMENT' } });
    });
  }

  it('accepts snake_case field names like the real JSON parser', async () => {
    const put = await call('PUT', `/v1/projects/${P}/policy`, { default_admission_rule: { evaluation_mode: 'ALWAYS_ALLOW', enforcement_mode: 'DRYRUN_AUDIT_LOG_ONLY' } });
    expect(put.defaultAdmissionRule).toEqual({ evaluationMode: 'ALWAYS_ALLOW', enforcementMode: 'DRYRUN_AUDIT_LOG_ONLY' });
  });

  it('creates, reads, lists, replaces and deletes attestors', async () => {
    const body = { description: 'CI', userOwnedGrafeasNote: { noteReference: `projects/${P}/notes/ci`, publicKeys: [{ pkixPublicKey: { publicKeyPem: '-----BEGIN PUBLIC KEY-----\nabc\n-----END PUBLIC KEY-----\n', signatureAlgorithm: 'ECDSA_P256_SHA256' } }] } };
    const a = await call('POST', `/v1/projects/${P}/attestors?attestorId=ci`, body);
    expect(a).toMatchObject({ name: `projects/${P}/attestors/ci`, description: 'CI', userOwnedGrafeasNote: { noteReference: `projects/${P}/notes/ci` } });
    expect(a.userOwnedGrafeasNote.delegationServiceAccountEmail).toMatch(/@gcp-sa-binaryauthorization\.iam\.gserviceaccount\.com$/);
    expect(a.userOwnedGrafeasNote.publicKeys[0].id).toMatch(/^ni:\/\/\/sha-256;/);
    expect(await call('GET', `/v1/projects/${P}/attestors/ci`)).toEqual(a);
    expect(await fail('POST', `/v1/projects/${P}/attestors?attestorId=ci`, body)).toMatchObject({ status: 409, error: { status: 'ALREADY_EXISTS' } });
    expect(await fail('POST', `/v1/projects/${P}/attestors?attestorId=nonote`, { description: 'x' })).toMatchObject({ status: 400 });
    expect(await fail('POST', `/v1/projects/${P}/attestors`, body)).toMatchObject({ status: 400 });

    for (const id of ['second', 'third']) await call('POST', `/v1/projects/${P}/attestors?attestorId=${id}`, body);
    const page1 = await call('GET', `/v1/projects/${P}/attestors?pageSize=2`);
    expect(page1.attestors).toHaveLength(2);
    const page2 = await call('GET', `/v1/projects/${P}/attestors?pageSize=2&pageToken=${page1.nextPageToken}`);
    expect([...page1.attestors, ...page2.attestors].map((x: any) => x.name.split('/').pop())).toEqual(['ci', 'second', 'third']);
    expect(page2.nextPageToken).toBeUndefined();

    const replaced = await call('PUT', `/v1/projects/${P}/attestors/ci`, { ...body, description: 'CI v2', etag: a.etag });
    expect(replaced.description).toBe('CI v2');
    expect(await fail('PUT', `/v1/projects/${P}/attestors/ci`, { ...body, etag: a.etag })).toMatchObject({ status: 409, error: { status: 'ABORTED' } });
    expect(await fail('PUT', `/v1/projects/${P}/attestors/missing`, body)).toMatchObject({ status: 404, error: { status: 'NOT_FOUND' } });

    await call('DELETE', `/v1/projects/${P}/attestors/ci`);
    expect(await fail('GET', `/v1/projects/${P}/attestors/ci`)).toMatchObject({ status: 404, error: { status: 'NOT_FOUND' } });
    expect(await fail('DELETE', `/v1/projects/${P}/attestors/ci`)).toMatchObject({ status: 404 });
  });

  it('counts calls as BinauthzManagementServiceV1 methods', async () => {
    const stats = (await (await fetch(`http://${emu.http}/__emulator/stats`)).json()) as any;
    expect(stats.calls['BinauthzManagementServiceV1.GetPolicy']).toBeGreaterThan(0);
    expect(stats.calls['BinauthzManagementServiceV1.UpdatePolicy']).toBeGreaterThan(0);
    expect(stats.calls['BinauthzManagementServiceV1.CreateAttestor']).toBe(6);
    expect(stats.calls['BinauthzManagementServiceV1.ListAttestors']).toBe(2);
    expect(stats.calls['BinauthzManagementServiceV1.DeleteAttestor']).toBe(2);
  });
});
