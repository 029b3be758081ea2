/**
 * The network journey (issue 14, acceptance 2) as the manifest set in examples/journey-network/:
 * a Serverless VPC Access connector, a Service on it with ingress internal, and a domain
 * mapping to that Service, applied on a standalone emulator and read back through the
 * official clients (`@google-cloud/vpc-access`, `@google-cloud/run`, `@googleapis/run` v1).
 */
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/package-root';
import { startHarness, type Harness } from '../helpers/harness';

const DIR = path.join(packageRoot(), 'examples', 'journey-network');
const PARENT = 'projects/local-project/locations/europe-west1';

describe('network journey: VPC connector, internal service, domain mapping', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => h?.close());

  it('applies the set in dependency order and each piece reads back through its official client', async () => {
    const plan = await h.cli(['plan', '-f', DIR]);
    expect(plan.code, plan.stderr).toBe(2);
    expect(plan.stdout).toContain('Service/internal-api has ingress internal');
    const res = await h.cli(['apply', '-f', DIR]);
    expect(res.code, res.stdout + res.stderr).toBe(0);
    expect(res.stdout).toContain('api.example.com CNAME ghs.googlehosted.com.');

    const [connector] = await h.clients.vpcAccess().getConnector({ name: `${PARENT}/connectors/onprem` });
    expect(connector.state).toBe('READY');
    const [svc] = await h.clients.runServices().getService({ name: `${PARENT}/services/internal-api` });
    expect(String(svc.ingress)).toMatch(/INGRESS_TRAFFIC_INTERNAL_ONLY|^2$/);
    expect(svc.template?.vpcAccess?.connector).toBe(`${PARENT}/connectors/onprem`);
    const { data: mapping } = await h.clients.runDomainMappings('europe-west1').get({ name: 'namespaces/local-project/domainmappings/api.example.com' });
    expect(mapping.spec?.routeName).toBe('internal-api');
    expect(mapping.status?.resourceRecords).toEqual([{ name: 'api', type: 'CNAME', rrdata: 'ghs.googlehosted.com.' }]);

    await h.resetStats();
    expect((await h.cli(['apply', '-f', DIR])).stdout).toContain('No changes');
    expect((await h.stats()).writes).toBe(0);
  });
});
