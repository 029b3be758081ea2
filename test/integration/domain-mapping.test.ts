/**
 * The DomainMapping kind end to end against a standalone emulator, read back through the
 * official `@googleapis/run` v1 client: create (DNS records printed by apply and get),
 * a no-op with zero writes, a change of service re-creates the mapping, drift (deleted out
 * of band) put back, prune, adopt, the region limits, paused and deletion policy.
 */
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serviceYaml, startHarness, type Harness } from '../helpers/harness';

const REGION = 'europe-west1';
const mappingYaml = (domain: string, spec: string, meta = '') =>
  `apiVersion: runctl.dev/v1alpha1\nkind: DomainMapping\nmetadata: {name: ${domain}${meta}}\nspec: ${spec}\n`;
const svc = (name: string) => serviceYaml(name, { region: REGION, image: `${REGION}-docker.pkg.dev/p/r/${name}:1` });

describe('DomainMapping end to end', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => h?.close());

  const dm = () => h.clients.runDomainMappings(REGION);
  const live = async (domain: string) => (await dm().get({ name: `namespaces/local-project/domainmappings/${domain}` })).data;
  const exists = async (domain: string) => dm().get({ name: `namespaces/local-project/domainmappings/${domain}` }).then(() => true, () => false);

  it('creates the mapping after its Service, prints the DNS records, and a second apply writes nothing', async () => {
    const dir = path.join(h.dir, 'set');
    h.write('set/svc.yaml', svc('jokes') + '---\n' + svc('quotes'));
    const file = h.write('set/dm.yaml', mappingYaml('jokes.example.com', '{service: jokes}'));
    const plan = await h.cli(['plan', '-f', dir]);
    expect(plan.code).toBe(2);
    expect(plan.stdout).toContain('a LoadBalancer (kind LoadBalancer with domains) is the general path');
    expect(plan.stdout).toContain('available only in asia-east1');
    expect(plan.stdout).toContain('Service/jokes is not public: callers of jokes.example.com need roles/run.invoker');
    const res = await h.cli(['apply', '-f', dir]);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toContain('DomainMapping/jokes.example.com (created): https://jokes.example.com');
    expect(res.stdout).toContain('jokes.example.com CNAME ghs.googlehosted.com.');
    const m = await live('jokes.example.com');
    expect(m.spec).toMatchObject({ routeName: 'jokes', certificateMode: 'AUTOMATIC' });
    expect(m.metadata?.labels).toMatchObject({ 'managed-by': 'runctl', 'runctl-set': 'default' });
    // The region followed the Service's.
    expect(m.metadata?.labels?.['cloud.googleapis.com/location']).toBe(REGION);

    await h.resetStats();
    const again = await h.cli(['apply', '-f', dir]);
    expect(again.stdout).toContain('No changes');
    expect((await h.stats()).writes).toBe(0);
    expect((await h.cli(['diff', '-f', dir])).code).toBe(0);
    // The Service it maps to is part of the set: a file without it does not validate.
    expect((await h.cli(['diff', '-f', file])).stderr).toContain('Service/jokes');

    const got = await h.cli(['get', 'DomainMapping']);
    expect(got.stdout).toMatch(/jokes\.example\.com\s+Available\s+set:default\s+europe-west1\s+https:\/\/jokes\.example\.com/);
    expect(got.stdout).toContain('  jokes.example.com CNAME ghs.googlehosted.com.');
    const yaml = await h.cli(['get', 'DomainMapping', 'jokes.example.com', '-o', 'yaml']);
    expect(yaml.stdout).toContain('rrdata: ghs.googlehosted.com.');
    // What get prints applies back unchanged (with the Service it maps to).
    const service = await h.cli(['get', 'Service', 'jokes', '-o', 'yaml']);
    expect((await h.cli(['diff', '-f', '-'], { stdin: `${service.stdout}---\n${yaml.stdout}` })).code).toBe(0);
  });

  it('a change of service re-creates the mapping (the v1 API has no update)', async () => {
    const dir = path.join(h.dir, 'set');
    const before = (await live('jokes.example.com')).metadata?.uid;
    h.write('set/dm.yaml', mappingYaml('jokes.example.com', '{service: quotes}'));
    const plan = await h.cli(['plan', '-f', dir]);
    expect(plan.stdout).toContain('cannot be changed in place');
    expect(plan.stdout).toMatch(/spec\.service: "jokes" → "quotes"/);
    const res = await h.cli(['apply', '-f', dir]);
    expect(res.code, res.stderr).toBe(0);
    const after = await live('jokes.example.com');
    expect(after.spec?.routeName).toBe('quotes');
    expect(after.metadata?.uid).not.toBe(before);
    expect((await h.cli(['diff', '-f', dir])).code).toBe(0);
  });

  it('puts back a mapping deleted out of band', async () => {
    const dir = path.join(h.dir, 'set');
    await dm().delete({ name: 'namespaces/local-project/domainmappings/jokes.example.com' });
    expect((await h.cli(['diff', '-f', dir])).code).toBe(2);
    expect((await h.cli(['apply', '-f', dir])).code).toBe(0);
    expect((await live('jokes.example.com')).spec?.routeName).toBe('quotes');
  });

  it('prunes a mapping the manifests no longer name; never one it does not own', async () => {
    const dir = path.join(h.dir, 'set');
    await dm().create({ parent: 'namespaces/local-project', requestBody: { metadata: { name: 'foreign.example.com' }, spec: { routeName: 'jokes' } } });
    h.write('set/dm.yaml', mappingYaml('example.com', '{service: jokes, region: europe-west1}'));
    const res = await h.cli(['apply', '-f', dir, '--prune', '--yes']);
    expect(res.code, res.stderr).toBe(0);
    expect(await exists('jokes.example.com')).toBe(false);
    expect(await exists('foreign.example.com')).toBe(true);
    // An apex domain: four A and four AAAA records.
    expect(res.stdout).toContain('example.com A 216.239.32.21');
    expect(res.stdout).toContain('example.com AAAA 2001:4860:4802:38::15');
  });

  it('an existing mapping that matches is left as it is, also with --adopt (re-creating it only to label it would drop its certificate); one that differs is re-created with the labels only with --adopt', async () => {
    const dir = path.join(h.dir, 'adopt');
    h.write('adopt/svc.yaml', svc('jokes') + '---\n' + svc('quotes'));
    h.write('adopt/dm.yaml', mappingYaml('foreign.example.com', '{service: jokes}'));
    const uid = (await live('foreign.example.com')).metadata?.uid;
    const diff = await h.cli(['diff', '-f', dir, '--set', 'adopt']);
    expect(diff.code, diff.stdout + diff.stderr).toBe(0);
    expect(diff.stdout).toContain("DomainMapping/foreign.example.com");
    expect(diff.stdout).toContain('not managed by runctl; its labels cannot change in place');
    await h.resetStats();
    const adopted = await h.cli(['apply', '-f', dir, '--set', 'adopt', '--adopt']);
    expect(adopted.code, adopted.stdout + adopted.stderr).toBe(0);
    const calls = Object.keys((await h.stats()).calls).filter((m) => /DomainMapping/i.test(m) && !/Get|List/.test(m));
    expect(calls).toEqual([]);
    expect((await live('foreign.example.com')).metadata).toMatchObject({ uid });
    expect((await live('foreign.example.com')).metadata?.labels ?? {}).not.toHaveProperty('managed-by');
    // A change needs re-creating it anyway: only --adopt does, and then it carries the labels.
    h.write('adopt/dm.yaml', mappingYaml('foreign.example.com', '{service: quotes}'));
    const blocked = await h.cli(['apply', '-f', dir, '--set', 'adopt']);
    expect(blocked.code).toBe(1);
    expect(blocked.stdout + blocked.stderr).toContain('--adopt');
    expect((await live('foreign.example.com')).spec?.routeName).toBe('jokes');
    const res = await h.cli(['apply', '-f', dir, '--set', 'adopt', '--adopt']);
    expect(res.code, res.stderr).toBe(0);
    expect((await live('foreign.example.com')).metadata?.labels).toMatchObject({ 'managed-by': 'runctl', 'runctl-set': 'adopt' });
    expect((await live('foreign.example.com')).spec?.routeName).toBe('quotes');
    expect((await h.cli(['diff', '-f', dir, '--set', 'adopt'])).code).toBe(0);
  });

  it('paused: observed, never written; deletion-policy abandon keeps the mapping', async () => {
    const dir = path.join(h.dir, 'paused');
    h.write('paused/svc.yaml', svc('pz'));
    h.write('paused/dm.yaml', mappingYaml('paused.example.com', '{service: pz}', ', annotations: {runctl.dev/paused: "true"}'));
    await h.resetStats();
    expect((await h.cli(['apply', '-f', dir, '--set', 'paused'])).code).toBe(0);
    expect(await exists('paused.example.com')).toBe(false);
    h.write('paused/dm.yaml', mappingYaml('paused.example.com', '{service: pz}', ', annotations: {runctl.dev/deletion-policy: abandon}'));
    expect((await h.cli(['apply', '-f', dir, '--set', 'paused'])).code).toBe(0);
    expect(await exists('paused.example.com')).toBe(true);
    expect((await h.cli(['delete', '-f', dir, '--set', 'paused', '--yes'])).code).toBe(0);
    expect(await exists('paused.example.com')).toBe(true);
    expect((await h.stats()).calls['DomainMappings.DeleteDomainMapping'] ?? 0).toBe(0);
  });

  it('a region without domain mappings: the API refuses and runctl names the LoadBalancer path', async () => {
    const dir = path.join(h.dir, 'london');
    h.write('london/svc.yaml', serviceYaml('uk', { region: 'europe-west2', image: 'europe-west2-docker.pkg.dev/p/r/uk:1' }));
    h.write('london/dm.yaml', mappingYaml('uk.example.com', '{service: uk}'));
    const plan = await h.cli(['plan', '-f', dir, '--set', 'london']);
    expect(plan.stdout).toContain('europe-west2 is not among the regions known to offer domain mappings');
    const res = await h.cli(['apply', '-f', dir, '--set', 'london']);
    expect(res.code).toBe(1);
    expect(res.stdout + res.stderr).toContain('Creating domain mappings is not allowed in europe-west2.');
    expect(res.stdout + res.stderr).toContain('LoadBalancer (spec.domains: [uk.example.com])');
  });

  it('notes that an internal ingress refuses the traffic a mapping carries', async () => {
    h.write('internal/svc.yaml', serviceYaml('inside', { region: REGION, image: `${REGION}-docker.pkg.dev/p/r/inside:1`, ingress: 'internal', invokerIamCheck: false }));
    h.write('internal/dm.yaml', mappingYaml('inside.example.com', '{service: inside}'));
    const plan = await h.cli(['plan', '-f', path.join(h.dir, 'internal'), '--set', 'internal']);
    expect(plan.stdout).toContain('Service/inside has ingress internal: requests to inside.example.com come from the internet');
    expect(plan.stdout).not.toContain('is not public');
  });

  it('refuses a region that contradicts the Service\'s, before any call', async () => {
    h.write('bad/svc.yaml', svc('jokes'));
    h.write('bad/dm.yaml', mappingYaml('bad.example.com', '{service: jokes, region: us-central1}'));
    const res = await h.cli(['validate', '-f', path.join(h.dir, 'bad')]);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain("the mapping must be in its Service's region");
  });
});
