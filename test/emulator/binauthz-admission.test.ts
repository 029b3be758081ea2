/**
 * Binary Authorization enforcement: the admission check Cloud Run calls for each new
 * revision, decided against the project policy (set over REST) and the attested images
 * (managed over `/__emulator/attestations`, seeded from `--attested`).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImageAdmissionRequest } from '../../src/emulator/admission';
import { admissionCheck, matchesAttested, matchesPattern } from '../../src/emulator/modules/binauthz';
import { startEmulator, type RunningEmulator } from '../../src/emulator/server';
import { Clients } from '../../src/gcp/clients';

const ROOT = 'https://binaryauthorization.googleapis.com';
const P = 'adm-proj';
const ATTESTOR = `projects/${P}/attestors/built-by-cloud-build`;
const REPO = 'europe-north1-docker.pkg.dev/adm-proj/app';

describe('binauthz: image matching', () => {
  const patterns: Array<[string, string, boolean]> = [
    ['gcr.io/p/trusted/*', 'gcr.io/p/trusted/app:v1', true],
    ['gcr.io/p/trusted/*', 'gcr.io/p/trusted/sub/app', false],
    ['gcr.io/p/trusted/**', 'gcr.io/p/trusted/sub/app:v1', true],
    ['gcr.io/nginx*', 'gcr.io/nginx@sha256:abc', true],
    ['gcr.io/p/app', 'gcr.io/p/app:v2', true],
    ['gcr.io/p/app', 'gcr.io/p/app2', false],
    ['gcr.io/p/app:v1', 'gcr.io/p/app:v2', false],
  ];
  for (const [pattern, image, want] of patterns) {
    it(`pattern ${pattern} ${want ? 'matches' : 'does not match'} ${image}`, () => {
      expect(matchesPattern(pattern, image)).toBe(want);
    });
  }

  const attested: Array<[string, string, boolean]> = [
    ['gcr.io/p/app', 'gcr.io/p/app:v1', true],
    ['gcr.io/p/app:v1', 'gcr.io/p/app:v1', true],
    ['gcr.io/p/app:v1', 'gcr.io/p/app:v2', false],
    ['gcr.io/p/app:latest', 'gcr.io/p/app', true],
    ['gcr.io/p/app@sha256:aa', 'gcr.io/p/app:v1@sha256:aa', true],
    ['gcr.io/p/app@sha256:aa', 'gcr.io/p/app@sha256:bb', false],
    ['localhost:5000/app:v1', 'localhost:5000/app:v1', true],
    ['localhost:5000/app', 'localhost:5000/other:v1', false],
  ];
  for (const [entry, image, want] of attested) {
    it(`attestation ${entry} ${want ? 'covers' : 'does not cover'} ${image}`, () => {
      expect(matchesAttested(entry, image)).toBe(want);
    });
  }
});

describe('binauthz: admission decisions', () => {
  let emu: RunningEmulator;
  let clients: Clients;
  let check: (req: ImageAdmissionRequest) => ReturnType<ReturnType<typeof admissionCheck>>;
  const admin = (method: string, body?: unknown) =>
    fetch(`http://${emu.http}/__emulator/attestations`, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) }).then(async (r) => ({ status: r.status, body: (await r.json()) as any }));
  const setPolicy = (policy: object) => clients.rest(ROOT, { method: 'PUT', path: `/v1/projects/${P}/policy`, body: policy });
  const req = (images: string[], binaryAuthorization: ImageAdmissionRequest['binaryAuthorization'] = { useDefault: true }): ImageAdmissionRequest => ({
    project: P, region: 'europe-north1', service: 'app', images, binaryAuthorization,
  });
  const requireAttestation = (enforcementMode = 'ENFORCED_BLOCK_AND_AUDIT_LOG') => ({
    admissionWhitelistPatterns: [{ namePattern: `${REPO}/trusted/**` }],
    defaultAdmissionRule: { evaluationMode: 'REQUIRE_ATTESTATION', enforcementMode, requireAttestationsBy: [ATTESTOR] },
  });

  beforeAll(async () => {
    emu = await startEmulator({ port: 0, attested: [`${REPO}/seeded:v1`] });
    clients = new Clients({ mode: 'emulator', grpc: emu.grpc, http: emu.http });
    check = admissionCheck(emu.core);
  });
  afterAll(async () => {
    await clients?.close();
    await emu?.stop();
  });

  it('seeds attestations from --attested and manages them over HTTP', async () => {
    expect((await admin('GET')).body.images).toEqual([`${REPO}/seeded:v1`]);
    expect((await admin('POST', { images: [`${REPO}/web:v1`, `${REPO}/web:v1`] })).body.images).toEqual([`${REPO}/seeded:v1`, `${REPO}/web:v1`]);
    expect((await admin('POST', { images: 'not-a-list' })).status).toBe(400);
    expect((await admin('DELETE', { images: [`${REPO}/seeded:v1`] })).body.images).toEqual([`${REPO}/web:v1`]);
  });

  it('admits everything under the default policy, and services that do not opt in', async () => {
    expect(check(req([`${REPO}/anything:v9`]))).toBeUndefined();
    await setPolicy({ defaultAdmissionRule: { evaluationMode: 'ALWAYS_DENY', enforcementMode: 'ENFORCED_BLOCK_AND_AUDIT_LOG' } });
    expect(check({ ...req([`${REPO}/anything:v9`]), binaryAuthorization: undefined })).toBeUndefined();
    expect(check(req([`${REPO}/anything:v9`], {}))).toBeUndefined();
    expect(check(req([`${REPO}/anything:v9`], { useDefault: false }))).toBeUndefined();
  });

  it('denies under ALWAYS_DENY naming the policy and image; breakglass admits', async () => {
    const image = `${REPO}/anything:v9`;
    const denial = check(req([image]));
    expect(denial?.reason).toBe('CONTAINER_IMAGE_UNAUTHORIZED');
    expect(denial?.message).toContain(`projects/${P}/policy`);
    expect(denial?.message).toContain(image);
    expect(denial?.message).toContain('always_deny');
    expect(check(req([image], { useDefault: true, breakglassJustification: 'incident 42' }))).toBeUndefined();
    expect(check(req([image], { policy: `projects/${P}/policy` }))?.reason).toBe('CONTAINER_IMAGE_UNAUTHORIZED');
  });

  it('requires attestations: attested and allowlisted images pass, others are denied naming the attestor', async () => {
    await setPolicy(requireAttestation());
    expect(check(req([`${REPO}/web:v1`]))).toBeUndefined();
    expect(check(req([`${REPO}/trusted/tools/sidecar:3`]))).toBeUndefined();
    const denial = check(req([`${REPO}/web:v1`, `${REPO}/web:v2`]));
    expect(denial?.reason).toBe('CONTAINER_IMAGE_UNAUTHORIZED');
    expect(denial?.message).toContain(`${REPO}/web:v2`);
    expect(denial?.message).not.toContain(`'${REPO}/web:v1'`);
    expect(denial?.message).toContain(ATTESTOR);
    expect(denial?.message).toContain(`projects/${P}/policy`);

    await admin('POST', { images: [`${REPO}/web:v2`] });
    expect(check(req([`${REPO}/web:v1`, `${REPO}/web:v2`]))).toBeUndefined();
    await admin('DELETE');
    expect((await admin('GET')).body.images).toEqual([]);
    expect(check(req([`${REPO}/web:v1`]))?.reason).toBe('CONTAINER_IMAGE_UNAUTHORIZED');
  });

  it('only logs violations in dry-run mode', async () => {
    await setPolicy(requireAttestation('DRYRUN_AUDIT_LOG_ONLY'));
    expect(check(req([`${REPO}/unsigned:v1`]))).toBeUndefined();
  });

  it('cannot evaluate a named platform policy', async () => {
    const denial = check(req([`${REPO}/x:v1`], { policy: `projects/${P}/platforms/cloudRun/policies/strict` }));
    expect(denial?.reason).toBe('CONTAINER_IMAGE_AUTHORIZATION_CHECK_FAILED');
  });

  it('is registered on core.imageAdmission for Cloud Run to call', async () => {
    await setPolicy({ defaultAdmissionRule: { evaluationMode: 'ALWAYS_DENY', enforcementMode: 'ENFORCED_BLOCK_AND_AUDIT_LOG' } });
    const decisions = emu.core.imageAdmission.map((f) => f(req([`${REPO}/x:v1`]))).filter(Boolean);
    expect(decisions.map((d) => d!.reason)).toEqual(['CONTAINER_IMAGE_UNAUTHORIZED']);
  });
});
