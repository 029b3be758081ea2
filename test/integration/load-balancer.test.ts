/**
 * The LoadBalancer kind end to end: the Gradio journey from `manifests/`, minimal
 * sub-resource changes, and deletion — the CLI in-process against the emulator, every
 * check made through the real `@google-cloud/compute` and `@google-cloud/storage`
 * clients.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serviceYaml, startHarness, TRANSPORTS, type Harness } from '../helpers/harness';
import { lbNames } from '../../controllers/load-balancer/names';

const PROJECT = 'local-project';
const REGION = 'europe-north1';
const LINK = `https://www.googleapis.com/compute/v1/projects/${PROJECT}`;
const n = lbNames('gradio-lb');
const REPO = path.resolve(__dirname, '../..');

/** Every item of a Compute collection, through the real client. */
export async function listCompute(h: Harness, client: string, region?: string): Promise<any[]> {
  const out: any[] = [];
  const req = region ? { project: PROJECT, region } : { project: PROJECT };
  for await (const item of (h.clients.compute(client as any) as any).listAsync(req, { autoPaginate: false })) out.push(item);
  return out;
}

/** Names of every load-balancer resource in the project, by collection. */
export async function inventory(h: Harness, prefix: string): Promise<Record<string, string[]>> {
  const clients = {
    negs: ['RegionNetworkEndpointGroupsClient', REGION],
    backends: ['BackendServicesClient'],
    urlMaps: ['UrlMapsClient'],
    certs: ['SslCertificatesClient'],
    httpsProxies: ['TargetHttpsProxiesClient'],
    httpProxies: ['TargetHttpProxiesClient'],
    addresses: ['GlobalAddressesClient'],
    rules: ['GlobalForwardingRulesClient'],
  };
  const out: Record<string, string[]> = {};
  for (const [k, [client, region]] of Object.entries(clients)) {
    out[k] = (await listCompute(h, client, region)).map((x) => x.name as string).filter((x) => x.startsWith(prefix)).sort();
  }
  return out;
}

/** The LoadBalancer entry of `plan -o json`, and its sub-resource lines that change something. */
export async function lbPlan(h: Harness, dir: string, key = 'LoadBalancer/gradio-lb') {
  const res = await h.cli(['plan', '-f', dir, '-o', 'json']);
  const plan = JSON.parse(res.stdout);
  const entry = plan.entries.find((e: any) => e.key === key);
  return { code: res.code, entry, changed: (entry.children as any[]).filter((c) => c.action !== 'noop').map((c) => `${c.action} ${c.name}`) };
}

const get = async (h: Harness, client: string, req: Record<string, string>) => ((await (h.clients.compute(client as any) as any).get({ project: PROJECT, ...req })) as any[])[0];

const JOKES = serviceYaml('jokes', { ingress: 'all', public: true });

describe.each(TRANSPORTS)('LoadBalancer: the Gradio journey (%s)', (transport) => {
  let h: Harness;
  let dir: string;
  const lbYaml = (spec: string) => fs.readFileSync(path.join(REPO, 'manifests/gradio-lb.yaml'), 'utf8').replace(/spec:\n[\s\S]*$/, `spec:\n${spec}`);

  beforeAll(async () => {
    h = await startHarness({ transport });
    dir = path.join(h.dir, 'journey');
    for (const f of ['gradio.yaml', 'gradio-data.yaml', 'gradio-lb.yaml', 'repositories.yaml']) h.write(`journey/${f}`, fs.readFileSync(path.join(REPO, 'manifests', f), 'utf8'));
  });
  afterAll(async () => h?.close());

  it('creates the whole chain, the bucket and the service that mounts it', async () => {
    const res = await h.cli(['apply', '-f', dir]);
    expect(res.stderr).not.toMatch(/✗/);
    expect(res.code).toBe(0);
    expect(res.stdout).toContain('+ LoadBalancer/gradio-lb');
    expect(res.stdout).toMatch(/\+ sslCertificate gradio-lb-cert-\w+ \(create\)/);
    expect(res.stdout).toContain('minutes to hours');

    const neg = await get(h, 'RegionNetworkEndpointGroupsClient', { region: REGION, networkEndpointGroup: n.neg('gradio') });
    expect(neg).toMatchObject({ networkEndpointType: 'SERVERLESS', cloudRun: { service: 'gradio' } });
    expect(neg.description).toBe('managed-by=runctl runctl-set=default lb=gradio-lb');
    const bs = await get(h, 'BackendServicesClient', { backendService: n.backend('gradio') });
    expect(bs.loadBalancingScheme).toBe('EXTERNAL_MANAGED');
    expect(bs.backends.map((b: any) => b.group)).toEqual([`${LINK}/regions/${REGION}/networkEndpointGroups/${n.neg('gradio')}`]);
    const um = await get(h, 'UrlMapsClient', { urlMap: n.urlMap });
    expect(um.defaultService).toBe(`${LINK}/global/backendServices/${n.backend('gradio')}`);
    const redirect = await get(h, 'UrlMapsClient', { urlMap: n.redirect });
    expect(redirect.defaultUrlRedirect).toMatchObject({ httpsRedirect: true });
    const cert = await get(h, 'SslCertificatesClient', { sslCertificate: n.cert(['gradio.example.com']) });
    expect(cert.managed.domains).toEqual(['gradio.example.com']);
    const https = await get(h, 'TargetHttpsProxiesClient', { targetHttpsProxy: n.httpsProxy });
    expect(https).toMatchObject({ urlMap: um.selfLink, sslCertificates: [cert.selfLink] });
    const http = await get(h, 'TargetHttpProxiesClient', { targetHttpProxy: n.httpProxy });
    expect(http.urlMap).toBe(redirect.selfLink);
    const ip = await get(h, 'GlobalAddressesClient', { address: n.ip });
    const httpsRule = await get(h, 'GlobalForwardingRulesClient', { forwardingRule: n.httpsRule });
    const httpRule = await get(h, 'GlobalForwardingRulesClient', { forwardingRule: n.httpRule });
    expect(httpsRule).toMatchObject({ IPAddress: ip.address, portRange: '443-443', target: https.selfLink, loadBalancingScheme: 'EXTERNAL_MANAGED' });
    expect(httpRule).toMatchObject({ IPAddress: ip.address, portRange: '80-80', target: http.selfLink });
    expect(httpsRule.labels).toMatchObject({ app: 'gradio', 'managed-by': 'runctl', 'runctl-set': 'default', 'runctl-lb': 'gradio-lb' });

    const [svc] = await h.clients.runServices().getService({ name: `projects/${PROJECT}/locations/${REGION}/services/gradio` });
    expect(svc.ingress).toBe('INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER');
    expect(svc.template!.scaling!.minInstanceCount).toBe(1);
    expect(svc.template!.executionEnvironment).toBe('EXECUTION_ENVIRONMENT_GEN2');
    expect(svc.template!.volumes).toEqual([expect.objectContaining({ name: 'gradio-data', gcs: expect.objectContaining({ bucket: 'local-project-gradio-data' }) })]);
    expect(svc.template!.containers![0].volumeMounts).toEqual([expect.objectContaining({ name: 'gradio-data', mountPath: '/data' })]);
    const [bucket] = await h.clients.storage().bucket('local-project-gradio-data').getMetadata();
    expect(bucket.labels).toMatchObject({ app: 'gradio', 'managed-by': 'runctl', 'runctl-set': 'default' });

    const status = JSON.parse((await h.cli(['get', 'loadbalancer', 'gradio-lb', '-o', 'json'])).stdout);
    expect(status.spec).toEqual({ defaultService: 'gradio', domains: ['gradio.example.com'], httpsRedirect: true, staticIp: true });
    expect(status.status).toMatchObject({ ip: ip.address, url: 'https://gradio.example.com/', certificates: { 'gradio.example.com': 'ACTIVE' } });
  });

  it('changes nothing on a second apply: zero writes, and diff exits 0', async () => {
    await h.resetStats();
    const res = await h.cli(['apply', '-f', dir]);
    expect(res.code).toBe(0);
    expect(res.stdout).toContain('No changes');
    expect((await h.stats()).writes).toBe(0);
    expect((await h.cli(['diff', '-f', dir])).code).toBe(0);
  });

  it('adding a route to a second service adds its NEG and backend service and updates only the URL map', async () => {
    h.write('journey/jokes.yaml', JOKES);
    h.write('journey/gradio-lb.yaml', lbYaml(`  defaultService: gradio\n  routes: [{host: api.example.com, paths: ["/api/*"], service: jokes}]\n  domains: [gradio.example.com]\n  httpsRedirect: true\n  staticIp: true\n`));
    const plan = await lbPlan(h, dir);
    expect(plan.code).toBe(2);
    expect(plan.changed).toEqual([
      `create networkEndpointGroup ${n.neg('jokes')} [${REGION}]`,
      `create backendService ${n.backend('jokes')}`,
      `update urlMap ${n.urlMap}`,
    ]);
    expect(plan.entry.changes).toEqual([{ path: 'spec.routes', op: 'add', new: [{ host: 'api.example.com', paths: ['/api/*'], service: 'jokes' }] }]);
    expect((await h.cli(['apply', '-f', dir])).code).toBe(0);
    const um = await get(h, 'UrlMapsClient', { urlMap: n.urlMap });
    expect(um.hostRules).toEqual([expect.objectContaining({ hosts: ['api.example.com'] })]);
    expect(um.pathMatchers[0].pathRules).toEqual([expect.objectContaining({ paths: ['/api/*'], service: `${LINK}/global/backendServices/${n.backend('jokes')}` })]);
    expect((await h.cli(['diff', '-f', dir])).code).toBe(0);
  });

  it('adding a domain creates a new certificate, attaches it, then deletes the old one', async () => {
    const spec = `  defaultService: gradio\n  routes: [{host: api.example.com, paths: ["/api/*"], service: jokes}]\n  domains: [gradio.example.com, www.gradio.example.com]\n  httpsRedirect: true\n  staticIp: true\n`;
    h.write('journey/gradio-lb.yaml', lbYaml(spec));
    const oldCert = n.cert(['gradio.example.com']);
    const newCert = n.cert(['gradio.example.com', 'www.gradio.example.com']);
    const plan = await lbPlan(h, dir);
    expect(plan.changed).toEqual([`create sslCertificate ${newCert}`, `update targetHttpsProxy ${n.httpsProxy}`, `delete sslCertificate ${oldCert}`]);
    const res = await h.cli(['apply', '-f', dir]);
    expect(res.code).toBe(0);
    // The order on the wire: create, attach, delete.
    const steps = res.stderr.split('\n').filter((l) => /sslCertificate|attaching/.test(l)).map((l) => l.trim());
    expect(steps).toEqual([
      `LoadBalancer/gradio-lb: creating sslCertificate ${newCert}`,
      `LoadBalancer/gradio-lb: attaching certificates to targetHttpsProxy ${n.httpsProxy}`,
      `LoadBalancer/gradio-lb: deleting sslCertificate ${oldCert}`,
    ]);
    expect((await inventory(h, 'gradio-lb-')).certs).toEqual([newCert]);
    const https = await get(h, 'TargetHttpsProxiesClient', { targetHttpsProxy: n.httpsProxy });
    expect(https.sslCertificates).toEqual([`${LINK}/global/sslCertificates/${newCert}`]);
    const status = JSON.parse((await h.cli(['get', 'loadbalancer', 'gradio-lb', '-o', 'json'])).stdout).status;
    expect(status.urls).toEqual(['https://gradio.example.com/', 'https://www.gradio.example.com/']);
  });

  it('dropping httpsRedirect deletes the HTTP forwarding rule, proxy and redirect map, nothing else', async () => {
    h.write('journey/gradio-lb.yaml', lbYaml(`  defaultService: gradio\n  routes: [{host: api.example.com, paths: ["/api/*"], service: jokes}]\n  domains: [gradio.example.com, www.gradio.example.com]\n  staticIp: true\n`));
    const before = await inventory(h, 'gradio-lb-');
    const plan = await lbPlan(h, dir);
    expect(plan.changed).toEqual([`delete forwardingRule ${n.httpRule}`, `delete targetHttpProxy ${n.httpProxy}`, `delete urlMap ${n.redirect}`]);
    expect((await h.cli(['apply', '-f', dir])).code).toBe(0);
    const after = await inventory(h, 'gradio-lb-');
    expect(after).toEqual({
      ...before,
      httpProxies: [],
      rules: [n.httpsRule],
      urlMaps: [n.urlMap],
    });
    expect((await h.cli(['diff', '-f', dir])).code).toBe(0);
  });

  it('deleting the load balancer removes every sub-resource in reverse order and leaves nothing behind', async () => {
    const res = await h.cli(['delete', '-f', dir, '--yes']);
    expect(res.code).toBe(0);
    const deletions = res.stderr.split('\n').filter((l) => l.includes(': deleting ') && l.includes('gradio-lb-')).map((l) => l.trim().split(' ').slice(-2).join(' '));
    expect(deletions).toEqual([
      `forwardingRule ${n.httpsRule}`,
      `address ${n.ip}`,
      `targetHttpsProxy ${n.httpsProxy}`,
      `sslCertificate ${n.cert(['gradio.example.com', 'www.gradio.example.com'])}`,
      `urlMap ${n.urlMap}`,
      `backendService ${n.backend('jokes')}`,
      `backendService ${n.backend('gradio')}`,
      `networkEndpointGroup ${n.neg('jokes')}`,
      `networkEndpointGroup ${n.neg('gradio')}`,
    ]);
    const left = await inventory(h, '');
    expect(Object.values(left).flat()).toEqual([]);
    // The load balancer went before the services it routes to; the bucket runctl made went too.
    expect(res.stderr.indexOf('✓ LoadBalancer/gradio-lb: deleted')).toBeLessThan(res.stderr.indexOf('✓ Service/gradio: deleted'));
    const [exists] = await h.clients.storage().bucket('local-project-gradio-data').exists();
    expect(exists).toBe(false);
  });
});

describe.each(TRANSPORTS)('LoadBalancer: failures midway (%s)', (transport) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ transport });
  });
  afterAll(async () => h?.close());

  const fault = (rule: Record<string, unknown>) => fetch(`http://${h.emu.http}/__emulator/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(rule) });
  const clearFaults = () => fetch(`http://${h.emu.http}/__emulator/faults`, { method: 'DELETE' });
  const lb = (name: string, service: string) =>
    `apiVersion: runctl.dev/v1alpha1\nkind: LoadBalancer\nmetadata: {name: ${name}}\nspec: {defaultService: ${service}, domains: [${service}.example.com], httpsRedirect: true, staticIp: true}\n`;

  const expected = (name: string, service: string) => {
    const m = lbNames(name);
    return {
      negs: [m.neg(service)], backends: [m.backend(service)], urlMaps: [m.redirect, m.urlMap].sort(), certs: [m.cert([`${service}.example.com`])],
      httpsProxies: [m.httpsProxy], httpProxies: [m.httpProxy], addresses: [m.ip], rules: [m.httpRule, m.httpsRule].sort(),
    };
  };

  it('reports a target proxy insert whose operation fails, then completes the chain without duplicates', async () => {
    h.write('a/svc.yaml', serviceYaml('alpha', { public: true }));
    const file = h.write('a/lb.yaml', lb('alpha-lb', 'alpha'));
    await fault({ method: 'TargetHttpsProxies.Insert', operation: true, code: 'INTERNAL', times: 1 });
    const failed = await h.cli(['apply', '-f', path.dirname(file)]);
    expect(failed.code).toBe(1);
    expect(failed.stdout).toMatch(/✗ LoadBalancer\/alpha-lb: creating targetHttpsProxy alpha-lb-https-proxy failed: INTERNAL_ERROR/);
    // Everything before the proxy exists; nothing after it was attempted.
    const half = await inventory(h, 'alpha-lb-');
    expect(half.certs).toHaveLength(1);
    expect(half.httpsProxies).toEqual([]);
    expect(half.rules).toEqual([]);

    const plan = await lbPlan(h, path.dirname(file), 'LoadBalancer/alpha-lb');
    expect(plan.changed.every((c) => c.startsWith('create '))).toBe(true);
    expect(plan.changed).toContain('create targetHttpsProxy alpha-lb-https-proxy');
    expect(plan.changed).not.toContain('create sslCertificate ' + lbNames('alpha-lb').cert(['alpha.example.com']));
    const again = await h.cli(['apply', '-f', path.dirname(file)]);
    expect(again.code).toBe(0);
    expect(await inventory(h, 'alpha-lb-')).toEqual(expected('alpha-lb', 'alpha'));
    expect((await h.cli(['diff', '-f', path.dirname(file)])).code).toBe(0);
  });

  it('reports a target proxy insert the API refuses, then adopts what the failed run made', async () => {
    h.write('b/svc.yaml', serviceYaml('beta', { public: true }));
    const file = h.write('b/lb.yaml', lb('beta-lb', 'beta'));
    // More failures than the client transport retries: the apply itself must see it.
    await fault({ method: 'TargetHttpsProxies.Insert', code: 'INTERNAL', times: 100 });
    const failed = await h.cli(['apply', '-f', path.dirname(file)]);
    await clearFaults();
    expect(failed.code).toBe(1);
    expect(failed.stdout).toMatch(/✗ LoadBalancer\/beta-lb: creating targetHttpsProxy beta-lb-https-proxy: .*INTERNAL/);
    await h.resetStats();
    expect((await h.cli(['apply', '-f', path.dirname(file)])).code).toBe(0);
    const calls = (await h.stats()).calls;
    // Only what was missing is inserted the second time.
    expect(calls['RegionNetworkEndpointGroups.Insert'] ?? 0).toBe(0);
    expect(calls['BackendServices.Insert'] ?? 0).toBe(0);
    expect(calls['SslCertificates.Insert'] ?? 0).toBe(0);
    expect(calls['TargetHttpsProxies.Insert']).toBe(1);
    expect(await inventory(h, 'beta-lb-')).toEqual(expected('beta-lb', 'beta'));
  });

  it('refuses to touch a sub-resource with one of its names that it does not own', async () => {
    h.write('c/svc.yaml', serviceYaml('gamma', { public: true }));
    const file = h.write('c/lb.yaml', `apiVersion: runctl.dev/v1alpha1\nkind: LoadBalancer\nmetadata: {name: gamma-lb}\nspec: {defaultService: gamma}\n`);
    const [op] = await (h.clients.compute('RegionNetworkEndpointGroupsClient') as any).insert({
      project: PROJECT, region: REGION,
      networkEndpointGroupResource: { name: lbNames('gamma-lb').neg('gamma'), networkEndpointType: 'SERVERLESS', cloudRun: { service: 'gamma' } },
    });
    // Google's first answer is RUNNING (issue 13, difference 8): wait for it like a client.
    expect(op.latestResponse.status).toBe('RUNNING');
    const [finished] = await h.clients.compute('RegionOperationsClient').wait({ project: PROJECT, region: REGION, operation: op.latestResponse.name });
    expect(finished.status).toBe('DONE');
    await h.resetStats();
    const res = await h.cli(['apply', '-f', path.dirname(file)]);
    expect(res.code).toBe(1);
    expect(res.stdout + res.stderr).toContain('--adopt');
    expect(Object.keys((await h.stats()).calls).filter((c) => /Insert|Delete/.test(c) && !c.startsWith('Services.'))).toEqual([]);

    // With --adopt it builds the rest of the chain on the existing NEG and keeps it.
    const adopted = await h.cli(['apply', '-f', path.dirname(file), '--adopt']);
    expect(adopted.code).toBe(0);
    const m = lbNames('gamma-lb');
    expect(await inventory(h, 'gamma-lb-')).toMatchObject({ negs: [m.neg('gamma')], backends: [m.backend('gamma')], urlMaps: [m.urlMap], rules: [m.httpRule] });
    expect((await h.cli(['diff', '-f', path.dirname(file)])).code).toBe(0);
  });

  it('prunes a load balancer the manifests no longer name, and only that', async () => {
    h.write('d/svc.yaml', serviceYaml('delta', { public: true }));
    const file = h.write('d/lb.yaml', lb('delta-lb', 'delta'));
    expect((await h.cli(['apply', '-f', path.dirname(file), '--set', 'pruning'])).code).toBe(0);
    const listed = JSON.parse((await h.cli(['get', 'loadbalancers', '-o', 'json'])).stdout);
    expect(listed.map((x: any) => x.metadata.name).sort()).toEqual(['alpha-lb', 'beta-lb', 'delta-lb', 'gamma-lb']);
    fs.rmSync(file);
    const res = await h.cli(['apply', '-f', path.dirname(file), '--set', 'pruning', '--prune', '--yes']);
    expect(res.code).toBe(0);
    expect(res.stdout).toContain('- LoadBalancer/delta-lb');
    expect(Object.values(await inventory(h, 'delta-lb-')).flat()).toEqual([]);
    expect(await inventory(h, 'alpha-lb-')).toEqual(expected('alpha-lb', 'alpha'));
  });
});

describe.each(TRANSPORTS)('LoadBalancer: operations that take time (%s)', (transport) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ operationLatencyMs: 40, transport });
  });
  afterAll(async () => h?.close());

  it('waits for every operation before the next step, and the result is complete', async () => {
    h.write('slow/svc.yaml', serviceYaml('slow', { public: true }));
    const file = h.write('slow/lb.yaml', `apiVersion: runctl.dev/v1alpha1\nkind: LoadBalancer\nmetadata: {name: slow-lb}\nspec: {defaultService: slow, domains: [slow.example.com]}\n`);
    const res = await h.cli(['apply', '-f', path.dirname(file)]);
    expect(res.stderr).not.toMatch(/✗/);
    expect(res.code).toBe(0);
    const calls = (await h.stats()).calls;
    expect(calls['GlobalOperations.Wait']).toBeGreaterThan(0);
    expect(calls['RegionOperations.Wait']).toBeGreaterThan(0);
    const m = lbNames('slow-lb');
    expect(await inventory(h, 'slow-lb-')).toMatchObject({ httpsProxies: [m.httpsProxy], rules: [m.httpsRule], httpProxies: [] });
    expect((await h.cli(['diff', '-f', path.dirname(file)])).code).toBe(0);
    expect((await h.cli(['delete', '-f', path.dirname(file), '--yes'])).code).toBe(0);
    expect(Object.values(await inventory(h, 'slow-lb-')).flat()).toEqual([]);
  });
});
