/**
 * A Service's VPC egress end to end, read back through the official clients: the network
 * journey of examples/journey-network (a VpcConnector of the set, named VpcConnector/NAME,
 * and an internal Service on it), and Direct VPC egress (network, subnetwork, tags) with
 * the server-filled subnetwork no difference.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serviceYaml, startHarness, type Harness } from '../helpers/harness';

const EXAMPLE = path.resolve(__dirname, '../../examples/journey-network');

describe('Service VPC egress end to end', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ operationLatencyMs: 20 });
  });
  afterAll(async () => h?.close());
  const svc = async (region: string, name: string) => (await h.clients.runServices().getService({ name: `projects/local-project/locations/${region}/services/${name}` }))[0];

  it('applies the network journey: the connector first, the internal Service on it by full name; a second apply writes nothing', async () => {
    const dir = path.join(h.dir, 'journey-network');
    fs.cpSync(EXAMPLE, dir, { recursive: true });
    const res = await h.cli(['apply', '-f', dir]);
    expect(res.code, res.stderr).toBe(0);
    const [c] = await h.clients.vpcAccess().getConnector({ name: 'projects/local-project/locations/europe-west1/connectors/onprem' });
    expect(c.state).toBe('READY');
    const s = await svc('europe-west1', 'internal-api');
    expect(s.ingress).toBe('INGRESS_TRAFFIC_INTERNAL_ONLY');
    expect(s.template?.vpcAccess).toMatchObject({ connector: 'projects/local-project/locations/europe-west1/connectors/onprem', egress: 'ALL_TRAFFIC' });
    expect(s.terminalCondition?.state).toBe('CONDITION_SUCCEEDED');
    await h.resetStats();
    const again = await h.cli(['apply', '-f', dir]);
    expect(again.stdout).toContain('No changes');
    expect((await h.stats()).writes).toBe(0);
    expect((await h.cli(['diff', '-f', dir])).code).toBe(0);
  });

  it('round-trips Direct VPC egress: apply, no-op diff, a tag change updates in place', async () => {
    const file = h.write('direct/svc.yaml', serviceYaml('direct', { vpc: { network: 'default', subnetwork: 'run', networkTags: ['run'], egress: 'private-ranges-only' } }));
    const res = await h.cli(['apply', '-f', file]);
    expect(res.code, res.stderr).toBe(0);
    let s = await svc('europe-north1', 'direct');
    expect(s.template?.vpcAccess?.networkInterfaces).toEqual([expect.objectContaining({ network: 'default', subnetwork: 'run', tags: ['run'] })]);
    expect(s.template?.vpcAccess?.egress).toBe('PRIVATE_RANGES_ONLY');
    expect((await h.cli(['diff', '-f', file])).code).toBe(0);

    h.write('direct/svc.yaml', serviceYaml('direct', { vpc: { network: 'default', subnetwork: 'run', networkTags: ['run', 'db-client'], egress: 'private-ranges-only' } }));
    const diff = await h.cli(['diff', '-f', file]);
    expect(diff.code).toBe(2);
    expect(diff.stdout).toContain('spec.vpc');
    expect((await h.cli(['apply', '-f', file])).code).toBe(0);
    s = await svc('europe-north1', 'direct');
    expect(s.template?.vpcAccess?.networkInterfaces?.[0]?.tags).toEqual(['run', 'db-client']);
    expect((await h.cli(['diff', '-f', file])).code).toBe(0);
  });

  it('the subnetwork Cloud Run fills from the network is no difference', async () => {
    const file = h.write('netonly/svc.yaml', serviceYaml('netonly', { vpc: { network: 'default' } }));
    expect((await h.cli(['apply', '-f', file])).code).toBe(0);
    const s = await svc('europe-north1', 'netonly');
    expect(s.template?.vpcAccess?.networkInterfaces?.[0]).toMatchObject({ network: 'default', subnetwork: 'default' });
    await h.resetStats();
    expect((await h.cli(['diff', '-f', file])).code).toBe(0);
    expect((await h.stats()).writes).toBe(0);
  });

  it('refuses a connector together with a network, and a connector of another region, before any call', async () => {
    const both = h.write('both/svc.yaml', serviceYaml('both', { vpc: { connector: 'projects/p/locations/europe-north1/connectors/c', network: 'default' } }));
    const r1 = await h.cli(['validate', '-f', both]);
    expect(r1.code).toBe(1);
    expect(r1.stdout + r1.stderr).toContain('not both');
    h.write('region/c.yaml', 'apiVersion: runctl.dev/v1alpha1\nkind: VpcConnector\nmetadata: {name: far}\nspec: {region: us-east1, ipCidrRange: 10.8.0.0/28}\n');
    h.write('region/svc.yaml', serviceYaml('near', { vpc: { connector: 'VpcConnector/far' } }));
    const r2 = await h.cli(['validate', '-f', path.join(h.dir, 'region')]);
    expect(r2.code).toBe(1);
    expect(r2.stdout + r2.stderr).toContain('its own region');
    // A connector of the set that is not in the files is a dangling reference.
    const dangling = h.write('dangling/svc.yaml', serviceYaml('dangling', { vpc: { connector: 'VpcConnector/nowhere' } }));
    expect((await h.cli(['validate', '-f', dangling])).code).toBe(1);
  });
});
