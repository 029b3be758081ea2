/**
 * Public under Domain Restricted Sharing: with the emulator enforcing the organisation
 * policy (`--org-policy domain-restricted-sharing`), `public: true` (an allUsers binding) is
 * refused with an error that explains the policy and names `invokerIamCheck: false`, which
 * makes the service public without any allUsers binding, and reachable for the traffic model.
 */
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serviceYaml, startHarness, type Harness } from '../helpers/harness';

const REGION = 'europe-north1';
const NAME = (s: string) => `projects/local-project/locations/${REGION}/services/${s}`;

describe('public under Domain Restricted Sharing', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ orgPolicies: ['domain-restricted-sharing'] });
  });
  afterAll(async () => h?.close());

  const invokers = async (s: string) => {
    const [policy] = await h.clients.runServices().getIamPolicy({ resource: NAME(s) });
    return (policy.bindings ?? []).filter((b) => b.role === 'roles/run.invoker').flatMap((b) => b.members ?? []);
  };

  it('refuses public: true with the real error, explained, naming invokerIamCheck: false', async () => {
    const file = h.write('pub/s.yaml', serviceYaml('shop', { public: true }));
    const res = await h.cli(['apply', '-f', file]);
    expect(res.code).toBe(1);
    const out = res.stdout + res.stderr;
    expect(out).toContain('One or more users named in the policy do not belong to a permitted customer');
    expect(out).toContain('Domain Restricted Sharing');
    expect(out).toContain('spec.invokerIamCheck: false');
    expect(await invokers('shop')).toEqual([]);
  });

  it('invokerIamCheck: false makes the service public with no allUsers binding; a second apply writes nothing', async () => {
    const file = h.write('pub/s.yaml', serviceYaml('shop', { invokerIamCheck: false, invokers: ['serviceAccount:ci@local-project.iam.gserviceaccount.com'] }));
    const res = await h.cli(['apply', '-f', file]);
    expect(res.code, res.stdout + res.stderr).toBe(0);
    const [svc] = await h.clients.runServices().getService({ name: NAME('shop') });
    expect(svc.invokerIamDisabled).toBe(true);
    const members = await invokers('shop');
    expect(members).not.toContain('allUsers');
    expect(members).not.toContain('allAuthenticatedUsers');
    await h.resetStats();
    expect((await h.cli(['apply', '-f', file])).stdout).toContain('No changes');
    expect((await h.stats()).writes).toBe(0);
    expect((await h.cli(['diff', '-f', file])).code).toBe(0);
    // The traffic model counts it as publicly reachable.
    const traffic = (await (await fetch(`http://${h.emu.http}/__emulator/traffic`)).json()) as { live: Array<{ service: string; rps: number }> };
    const shop = traffic.live.find((l) => l.service.endsWith('/shop') || l.service === 'shop');
    expect(shop?.rps).toBeGreaterThan(0);
    // get -o yaml shows the field, and it applies back unchanged.
    const yaml = await h.cli(['get', 'Service', 'shop', '-o', 'yaml']);
    expect(yaml.stdout).toContain('invokerIamCheck: false');
    expect((await h.cli(['diff', '-f', '-'], { stdin: yaml.stdout })).code).toBe(0);
  });

  it('turning the check back on is an in-place update (no new revision)', async () => {
    const dir = path.join(h.dir, 'pub');
    h.write('pub/s.yaml', serviceYaml('shop', { invokerIamCheck: true, invokers: ['serviceAccount:ci@local-project.iam.gserviceaccount.com'] }));
    const plan = await h.cli(['plan', '-f', dir]);
    expect(plan.stdout).toMatch(/spec\.invokerIamCheck: false → true/);
    expect(plan.stdout).toContain('no new revision');
    expect((await h.cli(['apply', '-f', dir])).code).toBe(0);
    const [svc] = await h.clients.runServices().getService({ name: NAME('shop') });
    expect(svc.invokerIamDisabled).toBeFalsy();
  });
});
