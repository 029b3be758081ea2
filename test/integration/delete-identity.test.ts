/**
 * Delete by identity: `delete -f FILE` needs only the files it is given. A LoadBalancer
 * or an Slo whose Services are defined in other files is deleted without those files;
 * references outside them are not resolved, so no DanglingReference.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../helpers/harness';

const MANIFESTS = path.resolve(__dirname, '../../manifests');

describe('delete by identity', () => {
  let h: Harness;
  let dir: string;
  const lbUrlMaps = async () => {
    const [maps] = await h.clients.compute('UrlMapsClient').list({ project: 'local-project' });
    return (maps as any[]).map((m) => m.name);
  };

  beforeAll(async () => {
    h = await startHarness();
    dir = path.join(h.dir, 'manifests');
    fs.cpSync(MANIFESTS, dir, { recursive: true });
    expect((await h.cli(['apply', '-f', dir])).code).toBe(0);
  });
  afterAll(async () => h?.close());

  it('delete -f lb.yaml deletes the load balancer without its Services\' files, and leaves the Services', async () => {
    expect(await lbUrlMaps()).not.toEqual([]);
    const r = await h.cli(['delete', '-f', path.join(dir, 'gradio-lb.yaml'), '--yes']);
    expect(r.stderr).not.toMatch(/DanglingReference|error/);
    expect(r.code).toBe(0);
    expect(await lbUrlMaps()).toEqual([]);
    // Its serverless NEG, in the Service's region (which no given file names), went with it.
    const [negs] = await h.clients.compute('RegionNetworkEndpointGroupsClient').list({ project: 'local-project', region: 'europe-north1' });
    expect(negs).toEqual([]);
    const [svc] = await h.clients.runServices().getService({ name: 'projects/local-project/locations/europe-north1/services/gradio' });
    expect(svc.name).toBeTruthy();
  });

  it('delete -f slo.yaml finds the Slo under its Service\'s region without the Service manifest', async () => {
    const r = await h.cli(['delete', '-f', path.join(dir, 'slo.yaml'), '--yes']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Slo/jokes-availability');
    const sm = h.clients.monitoring('ServiceMonitoringServiceClient');
    await expect(sm.getServiceLevelObjective({ name: 'projects/local-project/services/run-jokes-europe-north1/serviceLevelObjectives/jokes-availability' })).rejects.toMatchObject({ code: 5 });
  });

  it('apply and validate still refuse the same file alone (its references are unresolved there)', async () => {
    const r = await h.cli(['validate', '-f', path.join(dir, 'gradio-lb.yaml')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/DanglingReference/);
  });
});
