/**
 * The VpcConnector kind end to end against a standalone emulator, read back through the
 * official `@google-cloud/vpc-access` client: create, a no-op with zero writes, a change
 * refused (the API has no update and runctl will not delete a connector it cannot prove
 * it made), drift shown and refused, prune never deleting a connector, adopting one made
 * by hand, paused, and `delete -f` deleting it.
 */
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../helpers/harness';

const REGION = 'europe-north1';
const PARENT = `projects/local-project/locations/${REGION}`;
const connectorYaml = (name: string, spec: string, meta = '') =>
  `apiVersion: runctl.dev/v1alpha1\nkind: VpcConnector\nmetadata: {name: ${name}${meta}}\nspec: {region: ${REGION}, ${spec}}\n`;

describe('VpcConnector end to end', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ operationLatencyMs: 20 });
  });
  afterAll(async () => h?.close());

  const vpc = () => h.clients.vpcAccess();
  const live = async (name: string) => (await vpc().getConnector({ name: `${PARENT}/connectors/${name}` }))[0];
  const exists = async (name: string) => vpc().getConnector({ name: `${PARENT}/connectors/${name}` }).then(() => true, () => false);

  it('creates the connector with gcloud-like defaults, says it is never pruned, and a second apply writes nothing', async () => {
    const dir = path.join(h.dir, 'set');
    h.write('set/onprem.yaml', connectorYaml('onprem', 'network: default, ipCidrRange: 10.8.0.0/28, instances: {min: 2, max: 3}, machineType: e2-micro'));
    h.write('set/lab.yaml', connectorYaml('lab', 'ipCidrRange: 10.8.0.16/28'));
    const plan = await h.cli(['plan', '-f', dir]);
    expect(plan.code).toBe(2);
    expect(plan.stdout).toContain('--prune never deletes this connector');
    const res = await h.cli(['apply', '-f', dir]);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toContain('+ VpcConnector/onprem');
    expect(await live('onprem')).toMatchObject({ network: 'default', ipCidrRange: '10.8.0.0/28', minInstances: 2, maxInstances: 3, machineType: 'e2-micro', state: 'READY' });
    expect(await live('lab')).toMatchObject({ network: 'default', minInstances: 2, maxInstances: 10, machineType: 'e2-micro' });

    await h.resetStats();
    const again = await h.cli(['apply', '-f', dir]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('No changes');
    expect((await h.stats()).writes).toBe(0);
    expect((await h.cli(['diff', '-f', dir])).code).toBe(0);

    const got = await h.cli(['get', 'VpcConnector', 'onprem', '-o', 'yaml']);
    expect(got.stdout).toContain('ipCidrRange: 10.8.0.0/28');
    expect((await h.cli(['diff', '-f', '-'], { stdin: got.stdout })).code).toBe(0);
  });

  it('refuses a change at plan time, naming the field and what to do, and writes nothing', async () => {
    const dir = path.join(h.dir, 'change');
    h.write('change/onprem.yaml', connectorYaml('onprem', 'network: default, ipCidrRange: 10.8.0.0/28, instances: {min: 2, max: 5}'));
    await h.resetStats();
    const res = await h.cli(['apply', '-f', dir]);
    expect(res.code).toBe(1);
    const out = res.stdout + res.stderr;
    expect(out).toContain('spec.instances');
    expect(out).toContain('cannot be changed in place');
    expect(out).toContain('cannot prove it created this one');
    expect((await h.stats()).writes).toBe(0);
    expect((await live('onprem')).maxInstances).toBe(3);
  });

  it('shows drift (a connector re-made by hand with other settings) and refuses to put it back by deleting it', async () => {
    const [del] = await vpc().deleteConnector({ name: `${PARENT}/connectors/lab` });
    await del.promise();
    const [op] = await vpc().createConnector({ parent: PARENT, connectorId: 'lab', connector: { network: 'default', ipCidrRange: '10.8.0.16/28', minInstances: 2, maxInstances: 4, machineType: 'e2-standard-4' } });
    await op.promise();
    const diff = await h.cli(['diff', '-f', path.join(h.dir, 'set')]);
    expect(diff.code).not.toBe(0);
    const out = diff.stdout + diff.stderr;
    expect(out).toContain('VpcConnector/lab');
    expect(out).toContain('spec.machineType');
    expect((await live('lab')).machineType).toBe('e2-standard-4');
  });

  it('never prunes a connector, even one it created; adopts one made by hand with the same settings', async () => {
    const dir = path.join(h.dir, 'pruned');
    h.write('pruned/onprem.yaml', connectorYaml('onprem', 'network: default, ipCidrRange: 10.8.0.0/28, instances: {min: 2, max: 3}'));
    const res = await h.cli(['apply', '-f', dir, '--prune', '--yes']);
    expect(res.code, res.stderr).toBe(0);
    expect(await exists('lab')).toBe(true);
    expect(res.stdout).not.toMatch(/- VpcConnector\/lab/);

    const [op] = await vpc().createConnector({ parent: PARENT, connectorId: 'by-hand', connector: { network: 'lab-net', ipCidrRange: '10.9.0.0/28', minInstances: 2, maxInstances: 3 } });
    await op.promise();
    h.write('pruned/by-hand.yaml', connectorYaml('by-hand', 'network: lab-net, ipCidrRange: 10.9.0.0/28, instances: {min: 2, max: 3}'));
    await h.resetStats();
    const adopted = await h.cli(['apply', '-f', dir]);
    expect(adopted.code, adopted.stderr).toBe(0);
    expect((await h.stats()).writes).toBe(0);
  });

  it('paused: a missing connector is reported, not created', async () => {
    const dir = path.join(h.dir, 'paused');
    h.write('paused/p.yaml', connectorYaml('paused-one', 'ipCidrRange: 10.8.0.32/28', ', annotations: {runctl.dev/paused: "true"}'));
    const res = await h.cli(['apply', '-f', dir]);
    expect(res.code, res.stderr).toBe(0);
    expect(await exists('paused-one')).toBe(false);
  });

  it('delete -f naming a connector deletes it; deletion-policy abandon keeps it', async () => {
    const keep = h.write('del/keep.yaml', connectorYaml('by-hand', 'network: lab-net, ipCidrRange: 10.9.0.0/28, instances: {min: 2, max: 3}', ', annotations: {runctl.dev/deletion-policy: abandon}'));
    expect((await h.cli(['delete', '-f', keep, '--yes'])).code).toBe(0);
    expect(await exists('by-hand')).toBe(true);
    const file = h.write('del/lab.yaml', connectorYaml('lab', 'ipCidrRange: 10.8.0.16/28'));
    const res = await h.cli(['delete', '-f', file, '--yes']);
    expect(res.code, res.stderr).toBe(0);
    expect(await exists('lab')).toBe(false);
  });

  it('refuses a manifest without a range or subnet, and a range that does not start a /28, before any call', async () => {
    const bad = h.write('bad/a.yaml', connectorYaml('bad', 'network: default'));
    expect((await h.cli(['validate', '-f', bad])).code).toBe(1);
    const odd = h.write('bad2/a.yaml', connectorYaml('odd', 'ipCidrRange: 10.8.0.8/28'));
    const res = await h.cli(['validate', '-f', odd]);
    expect(res.code).toBe(1);
    expect(res.stdout + res.stderr).toContain('does not start a /28');
  });
});
