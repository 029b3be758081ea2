/**
 * The production journey in `manifests/`: services, the Binary Authorization policy,
 * the availability SLO with its fast-burn alert, and Gemma on a GPU called by jokes.
 * A fresh apply creates it all; a second apply makes zero writes.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../helpers/harness';

const MANIFESTS = path.resolve(__dirname, '../../manifests');

describe('the production journey (manifests/)', () => {
  let h: Harness;
  let dir: string;
  const svc = async (region: string, name: string) => (await h.clients.runServices().getService({ name: `projects/local-project/locations/${region}/services/${name}` }))[0] as any;

  beforeAll(async () => {
    h = await startHarness();
    dir = path.join(h.dir, 'manifests');
    fs.cpSync(MANIFESTS, dir, { recursive: true });
  });
  afterAll(async () => h?.close());

  it('creates everything on a fresh emulator, then a second apply writes nothing', async () => {
    const first = await h.cli(['apply', '-f', dir]);
    expect(first.stderr).not.toMatch(/✗|error/i);
    expect(first.code).toBe(0);
    for (const key of ['Policy/default', 'Slo/jokes-availability', 'GpuModel/ollama-gemma', 'Service/jokes']) expect(first.stdout).toContain(`+ ${key}`);

    // Policy: REQUIRE_ATTESTATION by built-by-cloud-build, the CI repository allowlisted.
    const policy = (await (await fetch(`http://${h.emu.http}/v1/projects/local-project/policy`)).json()) as any;
    expect(policy.defaultAdmissionRule.requireAttestationsBy).toEqual(['projects/local-project/attestors/built-by-cloud-build']);
    expect(policy.admissionWhitelistPatterns).toEqual([{ namePattern: 'europe-north1-docker.pkg.dev/local-project/jokes/**' }]);

    // GpuModel: the L4 service, private, invoked by jokes' account; jokes calls its URL.
    const model = await svc('europe-west4', 'ollama-gemma');
    expect(model.template.nodeSelector.accelerator).toBe('nvidia-l4');
    const [iam] = await h.clients.runServices().getIamPolicy({ resource: model.name });
    expect(iam.bindings).toEqual([expect.objectContaining({ role: 'roles/run.invoker', members: ['serviceAccount:tortune@local-project.iam.gserviceaccount.com'] })]);
    const jokes = await svc('europe-north1', 'jokes');
    expect(jokes.template.containers[0].env).toContainEqual(expect.objectContaining({ name: 'OLLAMA_URI', value: `${model.uri}/api/generate` }));

    // Slo: 99% over a rolling day, a 10x fast-burn alert over 5 minutes to on-call.
    const sm = h.clients.monitoring('ServiceMonitoringServiceClient');
    const [slo] = await sm.getServiceLevelObjective({ name: 'projects/local-project/services/run-jokes-europe-north1/serviceLevelObjectives/jokes-availability' });
    expect(slo.goal).toBe(0.99);
    const pols: any[] = [];
    for await (const p of h.clients.monitoring('AlertPolicyServiceClient').listAlertPoliciesAsync({ name: 'projects/local-project' }, { autoPaginate: false } as any)) pols.push(p);
    expect(pols.map((p) => p.conditions[0].conditionThreshold.filter)).toEqual([`select_slo_burn_rate("${slo.name}", "300s")`]);

    await h.resetStats();
    const second = await h.cli(['apply', '-f', dir]);
    expect(second.code).toBe(0);
    expect(second.stdout).toContain('No changes');
    expect((await h.stats()).writes).toBe(0);
    expect((await h.cli(['diff', '-f', dir])).code).toBe(0);
  });
});
