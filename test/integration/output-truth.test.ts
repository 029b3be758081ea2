/**
 * What runctl says is true (issue 11, "smaller untruths"), met as a user meets it: the
 * CLI in-process against a standalone emulator, output as it would be piped.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Clients } from '../../src/gcp/clients';
import { packageVersion } from '../../src/package-root';
import { serviceYaml, startHarness, type Harness } from '../helpers/harness';
import { poll, startCli } from '../helpers/loop-runner';

const PARENT = 'projects/local-project/locations/europe-north1';
const ATTESTOR = 'projects/local-project/attestors/built-by-cloud-build-in-the-production-folder-of-the-platform-team';
const policyYaml = (attestor: string) => `apiVersion: runctl.dev/v1alpha1
kind: Policy
metadata: {name: default}
spec:
  defaultRule:
    evaluationMode: REQUIRE_ATTESTATION
    enforcementMode: ENFORCED_BLOCK_AND_AUDIT_LOG
    requireAttestationsBy: [${attestor}]
  allowlist: [europe-north1-docker.pkg.dev/local-project/ci/**]
`;

describe('output that tells the truth', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => h?.close());

  const get = async (name: string) => (await h.clients.runServices().getService({ name: `${PARENT}/services/${name}` }))[0] as any;

  it('plan values are whole when the output is piped: a reviewer can read the attestor of a new policy', async () => {
    const file = h.write('review/policy.yaml', policyYaml(ATTESTOR));
    const diff = await h.cli(['diff', '-f', file]);
    expect(diff.code).toBe(2);
    expect(diff.stdout).toContain(`"${ATTESTOR}"`);
    expect(diff.stdout).not.toMatch(/\.\.\.(\n|$)/);
  });

  it('apply gives every created and updated resource a ✓ line, with its URL when it has one', async () => {
    const dir = 'marks';
    h.write(`${dir}/policy.yaml`, policyYaml(`${ATTESTOR}-a`));
    h.write(`${dir}/web.yaml`, serviceYaml('marks-web'));
    const created = await h.cli(['apply', '-f', `${dir}/`]);
    expect(created.code).toBe(0);
    expect(created.stdout).toMatch(/^✓ Policy\/default \(created\)$/m);
    expect(created.stdout).toMatch(/^✓ Service\/marks-web \(created\): https:\/\/marks-web-\S+\.a\.run\.app$/m);

    h.write(`${dir}/policy.yaml`, policyYaml(`${ATTESTOR}-b`));
    h.write(`${dir}/web.yaml`, serviceYaml('marks-web', { env: { V: '2' } }));
    const updated = await h.cli(['apply', '-f', `${dir}/`]);
    expect(updated.code).toBe(0);
    expect(updated.stdout).toMatch(/^✓ Policy\/default \(updated\)$/m);
    expect(updated.stdout).toMatch(/^✓ Service\/marks-web \(updated\): https:/m);
    expect(updated.stdout).toContain('Apply complete: 0 created, 2 updated');
  });

  it('delete says "Delete complete"; deleting again says nothing named exists', async () => {
    const dir = 'gone';
    h.write(`${dir}/a.yaml`, serviceYaml('gone-a'));
    h.write(`${dir}/b.yaml`, serviceYaml('gone-b'));
    expect((await h.cli(['apply', '-f', `${dir}/`])).code).toBe(0);

    const first = await h.cli(['delete', '-f', `${dir}/`, '--yes']);
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('Plan: 2 to delete, 0 already absent.');
    expect(first.stdout).toMatch(/^✓ Service\/gone-a \(deleted\)$/m);
    expect(first.stdout).toContain('Delete complete: 2 deleted');
    expect(first.stdout).not.toContain('Apply');

    const again = await h.cli(['delete', '-f', `${dir}/`, '--yes']);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('Nothing to delete: none of the 2 resources the manifests name exists.');
    expect(again.stdout).not.toMatch(/unchanged|Apply|No changes/);
  });

  it('"last changed by" appears only when someone other than runctl made the last change', async () => {
    const file = h.write('who/svc.yaml', serviceYaml('who', { scaling: { maxInstances: 2 } }));
    expect((await h.cli(['apply', '-f', file])).code).toBe(0);
    // runctl names itself to Cloud Run, as gcloud does (`client: gcloud`).
    expect(await get('who')).toMatchObject({ client: 'runctl', clientVersion: packageVersion() });

    // The user edits the manifest: runctl made the last change, so the plan names nobody.
    h.write('who/svc.yaml', serviceYaml('who', { scaling: { maxInstances: 3 } }));
    const edit = await h.cli(['diff', '-f', file]);
    expect(edit.code).toBe(2);
    expect(edit.stdout).not.toContain('last changed by');
    expect((await h.cli(['apply', '-f', file])).code).toBe(0);

    // Someone changes it with gcloud: the plan names them and their tool.
    const svc = await get('who');
    svc.template.scaling.maxInstanceCount = 7;
    svc.client = 'gcloud';
    svc.clientVersion = '470.0.0';
    delete svc.template.revision;
    const [op] = await h.clients.runServices().updateService({ service: svc }, { otherArgs: { headers: { 'x-emulator-principal': 'alice@example.com' } } });
    await op.promise();
    const drift = await h.cli(['diff', '-f', file]);
    expect(drift.code).toBe(2);
    expect(drift.stdout).toContain('# last changed by alice@example.com (via gcloud 470.0.0)');

    // runctl puts it back and is the last writer again.
    expect((await h.cli(['apply', '-f', file])).code).toBe(0);
    expect(await get('who')).toMatchObject({ client: 'runctl' });
  });

  it('every official client sends runctl/VERSION in x-goog-api-client', () => {
    const emu = new Clients({ mode: 'emulator', grpc: '127.0.0.1:1', http: '127.0.0.1:2' });
    const google = new Clients({ mode: 'google' });
    for (const opts of [emu.grpcOptions(), emu.restOptions(), google.grpcOptions(), google.restOptions()]) {
      expect(opts).toMatchObject({ libName: 'runctl', libVersion: packageVersion() });
    }
  });

  it('a missing -f file is one error with one code', async () => {
    for (const verb of ['validate', 'diff', 'apply', 'delete']) {
      const r = await h.cli([verb, '-f', 'no-such-file.yaml']);
      expect(r.code).toBe(1);
      const lines = r.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain('no-such-file.yaml');
      expect(lines[0].match(/\[[A-Za-z]+\]/g)).toEqual(['[Usage]']);
    }
  });

  it('a gpu: field on a Service points to kind: GpuModel', async () => {
    const file = h.write('gpu/svc.yaml', `apiVersion: runctl.dev/v1alpha1
kind: Service
metadata: {name: model}
spec:
  image: europe-west4-docker.pkg.dev/p/r/ollama:1
  gpu: {type: nvidia-l4, count: 1}
`);
    const r = await h.cli(['validate', '-f', file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/svc\.yaml:6:3: Service\/model: spec\.gpu: unknown field 'gpu': .*kind: GpuModel.* \[UnknownField\]/);
  });

  it('sync never shows a credential from the repository URL: logs, /readyz, /metrics', async () => {
    // Nothing listens on port 1: every fetch fails, and git repeats the URL in its error.
    const repo = 'http://bot:TOKEN_IN_USERINFO@127.0.0.1:1/deploy.git?access_token=TOKEN_IN_QUERY';
    for (const format of ['json', 'text']) {
      const s = startCli(['sync', '--repo', repo, '--interval', '100ms', '--metrics-port', '0', '--log-format', format], {
        env: { RUNCTL_EMULATOR_HOST: h.emu.grpc },
        cwd: h.dir,
      });
      try {
        await poll(() => /cannot fetch main/.test(s.log()), 20_000, () => s.log());
        const url = /http:\/\/127\.0\.0\.1:\d+/.exec(s.log().split('\n').find((l) => l.includes('/metrics on'))!)![0];
        const readyz = await (await fetch(`${url}/readyz`)).text();
        const metrics = await (await fetch(`${url}/metrics`)).text();
        expect(readyz).toContain('not ready: cannot fetch main from http://***@127.0.0.1:1/deploy.git?access_token=***');
        for (const text of [s.log(), readyz, metrics]) expect(text).not.toMatch(/TOKEN_IN/);
        expect(s.log()).toContain('127.0.0.1:1/deploy.git');
      } finally {
        expect(await s.stop()).toBe(0);
      }
    }
  });
});
