/**
 * Load balancers made outside runctl, recognised from their Compute parts: chains built
 * through the official Compute client the way gcloud builds them (its names, full-URL
 * references, no runctl marks) — HTTPS with an HTTP→HTTPS redirect on a reserved
 * address, HTTPS without it on an ephemeral IP, plain HTTP, one with Cloud CDN and custom headers, and one
 * no LoadBalancer can stand for — then `runctl export loadbalancers` → the plan with
 * --adopt changes ownership marks only → `apply --adopt` writes only those marks
 * (description patches and setLabels, counted by the emulator) → `diff` exits 0 →
 * `--prune` deletes only the adopted parts of a load balancer dropped from the set.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import YAML from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adoptCounted, expectConverged, startHarness, type Harness } from '../helpers/harness';

const PROJECT = 'local-project';
const REGION = 'europe-north1';
const PARENT = `projects/${PROJECT}/locations/${REGION}`;
/** gcloud sends references as full URLs (either host). */
const WWW = `https://www.googleapis.com/compute/v1/projects/${PROJECT}`;
const API = `https://compute.googleapis.com/compute/v1/projects/${PROJECT}`;

type Body = Record<string, unknown>;

describe('LoadBalancers made with gcloud: export, diff, adopt, prune', () => {
  let h: Harness;
  let out: string;
  const compute = (client: string) => h.clients.compute(client as never) as any;

  /** Run a Compute mutation and wait for its operation, as gcloud does. */
  const op = async (client: string, method: string, req: Body, region?: string) => {
    const [res] = await compute(client)[method]({ project: PROJECT, ...(region ? { region } : {}), ...req });
    const name = res.latestResponse?.name ?? res.name;
    if (region) await compute('RegionOperationsClient').wait({ project: PROJECT, region, operation: name });
    else await compute('GlobalOperationsClient').wait({ project: PROJECT, operation: name });
  };
  const get = async (client: string, req: Body) => (await compute(client).get({ project: PROJECT, ...req }))[0];

  /** `gcloud run deploy NAME --image IMG --allow-unauthenticated`. */
  const runService = async (id: string) => {
    const run = h.clients.runServices();
    const [o] = await run.createService({ parent: PARENT, serviceId: id, service: { client: 'gcloud', clientVersion: '502.0.0', template: { containers: [{ image: `gcr.io/acme/${id}:1` }] } } });
    await o.promise();
    const name = `${PARENT}/services/${id}`;
    const [policy] = await run.getIamPolicy({ resource: name });
    await run.setIamPolicy({ resource: name, policy: { ...policy, bindings: [{ role: 'roles/run.invoker', members: ['allUsers'] }] } });
  };

  /** `network-endpoint-groups create NEG --network-endpoint-type=serverless --cloud-run-service=S`, `backend-services create BS --global --load-balancing-scheme=EXTERNAL_MANAGED`, `add-backend`. */
  const backend = async (service: string, neg: string, bs: string, extra: Body = {}) => {
    await op('RegionNetworkEndpointGroupsClient', 'insert', { networkEndpointGroupResource: { name: neg, networkEndpointType: 'SERVERLESS', cloudRun: { service } } }, REGION);
    await op('BackendServicesClient', 'insert', { backendServiceResource: { name: bs, loadBalancingScheme: 'EXTERNAL_MANAGED', protocol: 'HTTP', ...extra } });
    const current = await get('BackendServicesClient', { backendService: bs });
    await op('BackendServicesClient', 'patch', { backendService: bs, backendServiceResource: { backends: [{ group: `${WWW}/regions/${REGION}/networkEndpointGroups/${neg}` }], fingerprint: current.fingerprint } });
  };

  /** A forwarding rule (`forwarding-rules create --global --load-balancing-scheme=EXTERNAL_MANAGED`). */
  const rule = (name: string, target: string, port: string, address?: string, labels?: Record<string, string>) =>
    op('GlobalForwardingRulesClient', 'insert', {
      forwardingRuleResource: { name, target, portRange: port, loadBalancingScheme: 'EXTERNAL_MANAGED', IPProtocol: 'TCP', networkTier: 'PREMIUM', ...(address ? { IPAddress: `${API}/global/addresses/${address}` } : {}), ...(labels ? { labels } : {}) },
    });

  beforeAll(async () => {
    h = await startHarness();
    for (const s of ['web', 'api', 'hello', 'cached', 'shop']) await runService(s);

    // 1. HTTPS for two domains, a host route, an HTTP->HTTPS redirect, one reserved address.
    await backend('web', 'web-neg', 'web-backend', { description: 'web tier' });
    await backend('api', 'api-neg', 'api-backend');
    await op('UrlMapsClient', 'insert', {
      urlMapResource: {
        name: 'web-map',
        description: 'made by hand',
        defaultService: `${WWW}/global/backendServices/web-backend`,
        hostRules: [{ hosts: ['api.example.com'], pathMatcher: 'api-paths' }],
        pathMatchers: [{ name: 'api-paths', defaultService: `${WWW}/global/backendServices/web-backend`, pathRules: [{ paths: ['/v1/*'], service: `${API}/global/backendServices/api-backend` }] }],
      },
    });
    await op('SslCertificatesClient', 'insert', { sslCertificateResource: { name: 'web-cert', type: 'MANAGED', managed: { domains: ['www.example.com', 'api.example.com'] } } });
    await op('TargetHttpsProxiesClient', 'insert', { targetHttpsProxyResource: { name: 'web-https-proxy', urlMap: `${WWW}/global/urlMaps/web-map`, sslCertificates: [`${WWW}/global/sslCertificates/web-cert`] } });
    await op('GlobalAddressesClient', 'insert', { addressResource: { name: 'web-ip', ipVersion: 'IPV4' } });
    // `addresses update web-ip --update-labels team=web` (labels sent on insert are ignored).
    const ip = await get('GlobalAddressesClient', { address: 'web-ip' });
    await op('GlobalAddressesClient', 'setLabels', { resource: 'web-ip', globalSetLabelsRequestResource: { labels: { team: 'web' }, labelFingerprint: ip.labelFingerprint } });
    await rule('web-https-rule', `${WWW}/global/targetHttpsProxies/web-https-proxy`, '443', 'web-ip', { team: 'web' });
    // `url-maps import web-redirect` with a default HTTPS redirect, its proxy and port 80 rule.
    await op('UrlMapsClient', 'insert', { urlMapResource: { name: 'web-redirect', defaultUrlRedirect: { redirectResponseCode: 'MOVED_PERMANENTLY_DEFAULT', httpsRedirect: true, stripQuery: false } } });
    await op('TargetHttpProxiesClient', 'insert', { targetHttpProxyResource: { name: 'web-http-proxy', urlMap: `${WWW}/global/urlMaps/web-redirect` } });
    await rule('web-http-rule', `${WWW}/global/targetHttpProxies/web-http-proxy`, '80', 'web-ip', { team: 'web' });

    // 2. HTTPS without the redirect, on an ephemeral IP.
    await backend('shop', 'shop-neg', 'shop-bs');
    await op('UrlMapsClient', 'insert', { urlMapResource: { name: 'shop-map', defaultService: `${API}/global/backendServices/shop-bs` } });
    await op('SslCertificatesClient', 'insert', { sslCertificateResource: { name: 'shop-cert', managed: { domains: ['shop.example.com.'] } } });
    await op('TargetHttpsProxiesClient', 'insert', { targetHttpsProxyResource: { name: 'shop-proxy', urlMap: `${API}/global/urlMaps/shop-map`, sslCertificates: [`${API}/global/sslCertificates/shop-cert`] } });
    await rule('shop-rule', `${API}/global/targetHttpsProxies/shop-proxy`, '443');

    // 3. Plain HTTP on an ephemeral IP.
    await backend('hello', 'hello-neg', 'hello-bs');
    await op('UrlMapsClient', 'insert', { urlMapResource: { name: 'hello-map', defaultService: `${WWW}/global/backendServices/hello-bs` } });
    await op('TargetHttpProxiesClient', 'insert', { targetHttpProxyResource: { name: 'hello-proxy', urlMap: `${WWW}/global/urlMaps/hello-map` } });
    await rule('hello-rule', `${WWW}/global/targetHttpProxies/hello-proxy`, '80');

    // 4. Cloud CDN and a custom header on the backend, a redirect path rule: exported, listed as not expressible.
    await backend('cached', 'cached-neg', 'cached-bs', { enableCDN: true, customResponseHeaders: ['X-Cache: {cdn_cache_status}'] });
    await op('UrlMapsClient', 'insert', {
      urlMapResource: {
        name: 'cached-map',
        defaultService: `${WWW}/global/backendServices/cached-bs`,
        hostRules: [{ hosts: ['*'], pathMatcher: 'all' }],
        pathMatchers: [{ name: 'all', defaultService: `${WWW}/global/backendServices/cached-bs`, pathRules: [{ paths: ['/old/*'], urlRedirect: { pathRedirect: '/new', redirectResponseCode: 'FOUND' } }] }],
      },
    });
    await op('TargetHttpProxiesClient', 'insert', { targetHttpProxyResource: { name: 'cached-proxy', urlMap: `${WWW}/global/urlMaps/cached-map` } });
    await rule('cached-rule', `${WWW}/global/targetHttpProxies/cached-proxy`, '80');

    // 5. A backend service without a serverless NEG: no LoadBalancer can stand for it.
    await op('BackendServicesClient', 'insert', { backendServiceResource: { name: 'empty-bs', loadBalancingScheme: 'EXTERNAL_MANAGED' } });
    await op('UrlMapsClient', 'insert', { urlMapResource: { name: 'odd-map', defaultService: `${WWW}/global/backendServices/empty-bs` } });
    await op('TargetHttpProxiesClient', 'insert', { targetHttpProxyResource: { name: 'odd-proxy', urlMap: `${WWW}/global/urlMaps/odd-map` } });
    await rule('odd-rule', `${WWW}/global/targetHttpProxies/odd-proxy`, '80');

    out = path.join(h.dir, 'exported');
    const r = await h.cli(['export', 'loadbalancers', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    exportStderr = r.stderr;
  }, 180_000);
  afterAll(async () => h?.close());

  let exportStderr = '';
  const doc = (file: string) => YAML.parse(fs.readFileSync(path.join(out, file), 'utf8'));
  const header = (file: string) => fs.readFileSync(path.join(out, file), 'utf8').split('\n').filter((l) => l.startsWith('#')).join('\n');

  it('exports one LoadBalancer per chain, in the form people write, its parts named, with the Services it routes to', () => {
    expect(fs.readdirSync(out).sort()).toEqual([
      'loadbalancer-cached-map.yaml', 'loadbalancer-hello-map.yaml', 'loadbalancer-shop-map.yaml', 'loadbalancer-web-map.yaml',
      'service-api.yaml', 'service-cached.yaml', 'service-hello.yaml', 'service-shop.yaml', 'service-web.yaml',
    ]);
    expect(doc('loadbalancer-web-map.yaml')).toEqual({
      apiVersion: 'runctl.dev/v1alpha1',
      kind: 'LoadBalancer',
      metadata: { name: 'web-map', labels: { team: 'web' } },
      spec: {
        defaultService: 'web',
        routes: [{ host: 'api.example.com', paths: ['/v1/*'], service: 'api' }],
        domains: ['api.example.com', 'www.example.com'],
        httpsRedirect: true,
        staticIp: true,
        parts: {
          urlMap: 'web-map',
          redirectUrlMap: 'web-redirect',
          httpsProxy: 'web-https-proxy',
          httpProxy: 'web-http-proxy',
          certificates: ['web-cert'],
          address: 'web-ip',
          httpsForwardingRule: 'web-https-rule',
          httpForwardingRule: 'web-http-rule',
          backendServices: { api: 'api-backend', web: 'web-backend' },
          networkEndpointGroups: { api: 'api-neg', web: 'web-neg' },
        },
      },
    });
    expect(doc('loadbalancer-hello-map.yaml').spec).toEqual({
      defaultService: 'hello',
      parts: { urlMap: 'hello-map', httpProxy: 'hello-proxy', httpForwardingRule: 'hello-rule', backendServices: { hello: 'hello-bs' }, networkEndpointGroups: { hello: 'hello-neg' } },
    });
    expect(doc('loadbalancer-shop-map.yaml').spec).toEqual({
      defaultService: 'shop',
      domains: ['shop.example.com'],
      parts: { urlMap: 'shop-map', httpsProxy: 'shop-proxy', certificates: ['shop-cert'], httpsForwardingRule: 'shop-rule', backendServices: { shop: 'shop-bs' }, networkEndpointGroups: { shop: 'shop-neg' } },
    });
    expect(doc('service-web.yaml').spec).toMatchObject({ region: REGION, image: 'gcr.io/acme/web:1', public: true });
    expect(header('loadbalancer-web-map.yaml')).toContain("apply --adopt writes only runctl's ownership marks managed-by=runctl, runctl-set=default");
    expect(header('loadbalancer-web-map.yaml')).not.toContain('Not expressible');
  });

  it('get lists them as they run, with their IP, before runctl manages them', async () => {
    const got = await h.cli(['get', 'loadbalancers', '-o', 'json']);
    expect(got.code, got.stderr).toBe(0);
    const items = JSON.parse(got.stdout) as Array<{ metadata: { name: string }; status: { ip?: string; urls?: string[] } }>;
    expect(items.map((i) => i.metadata.name)).toEqual(['cached-map', 'hello-map', 'shop-map', 'web-map']);
    const web = items.find((i) => i.metadata.name === 'web-map')!;
    const [ip] = await compute('GlobalAddressesClient').get({ project: PROJECT, address: 'web-ip' });
    expect(web.status).toMatchObject({ ip: ip.address, urls: ['https://api.example.com/', 'https://www.example.com/'] });
  });

  it('lists at the top what the manifest cannot express, and reports the chain it cannot stand for instead of exporting half of it', () => {
    const text = header('loadbalancer-cached-map.yaml');
    expect(text).toContain('Not expressible in this manifest');
    for (const what of ['backendService cached-bs: enableCDN (Cloud CDN)', 'backendService cached-bs: customResponseHeaders', 'urlMap cached-map: pathMatchers[all] path rule /old/* (redirect or route action)']) {
      expect(text).toContain(what);
    }
    expect(exportStderr).toMatch(/not exported: LoadBalancer with urlMap odd-map \(project local-project\): backendService empty-bs has no serverless NEG/);
    expect(fs.readdirSync(out).some((f) => f.includes('odd'))).toBe(false);
  });

  it('diff --adopt changes ownership marks only; apply --adopt writes only them, keeping every other field; then diff exits 0', async () => {
    const names = await inventory();
    const before = await snapshot(names);
    // Unowned and as the manifests say: no difference, nothing written, marked unowned.
    await h.resetStats();
    const clean = await h.cli(['diff', '-f', out, '-o', 'json']);
    expect(clean.code, clean.stdout + clean.stderr).toBe(0);
    for (const e of JSON.parse(clean.stdout).entries) expect([e.key, e.action, !!e.unowned]).toEqual([e.key, 'noop', true]);
    expect((await h.stats()).writes).toBe(0);
    const plan = await h.cli(['diff', '-f', out, '--adopt', '-o', 'json']);
    expect(plan.code, plan.stdout + plan.stderr).toBe(2);
    const entries = JSON.parse(plan.stdout).entries as Array<{ key: string; changes: Array<{ path: string }>; children?: Array<{ name: string; action: string; changes?: Array<{ path: string }> }> }>;
    for (const e of entries) {
      expect(e.changes.map((c) => c.path).filter((p) => !p.startsWith('metadata.labels')), e.key).toEqual([]);
      for (const c of e.children ?? []) {
        expect(c.action, `${e.key} ${c.name}`).not.toMatch(/create|delete|replace/);
        expect((c.changes ?? []).map((x) => x.path).filter((p) => p !== 'owner' && !/^labels\.(managed-by|runctl-set|runctl-lb)$/.test(p)), `${e.key} ${c.name}`).toEqual([]);
      }
    }

    const { writes, stats } = await adoptCounted(h, out);
    // Descriptions on the parts without labels (one patch each), labels where Compute has them;
    // NEGs and certificates are adopted through the backend services and proxy that use them.
    expect(writes).toEqual({
      'BackendServices.Patch': 5, // web-backend, api-backend, shop-bs, hello-bs, cached-bs
      'UrlMaps.Patch': 5, // web-map, web-redirect, shop-map, hello-map, cached-map
      'TargetHttpsProxies.Patch': 2, // web-https-proxy, shop-proxy
      'TargetHttpProxies.Patch': 3, // web-http-proxy, hello-proxy, cached-proxy
      'GlobalAddresses.SetLabels': 1,
      'GlobalForwardingRules.SetLabels': 5,
      'Services.UpdateService': 5, // the Services' ownership labels
    });
    const after = await snapshot(names);
    for (const [key, was] of Object.entries(before)) {
      const now = after[key];
      expect(strip(now), key).toEqual(strip(was));
      if (!/^(backendService|urlMap|targetHttp)/.test(key)) continue;
      if (/\/(odd-map|odd-proxy|empty-bs)$/.test(key)) expect(now.description, key).toBe(was.description);
      else expect(now.description, key).toMatch(new RegExp(`^${was.description ? `${was.description} ` : ''}managed-by=runctl runctl-set=default lb=\\S+$`));
    }
    expect(after['backendService/web-backend'].description).toBe('web tier managed-by=runctl runctl-set=default lb=web-map');
    expect(after['forwardingRule/web-https-rule'].labels).toEqual({ team: 'web', 'managed-by': 'runctl', 'runctl-set': 'default', 'runctl-lb': 'web-map' });
    expect(after['address/web-ip'].labels).toEqual({ team: 'web', 'managed-by': 'runctl', 'runctl-set': 'default', 'runctl-lb': 'web-map' });
    expect(after['forwardingRule/odd-rule'].labels ?? {}).toEqual({});

    await expectConverged(h, out);
    // Now runctl's: listed by its marks, with the names it was made with.
    const got = await h.cli(['get', 'loadbalancer', 'web-map', '-o', 'json']);
    expect(got.code, got.stderr).toBe(0);
    expect(JSON.parse(got.stdout)).toMatchObject({ spec: doc('loadbalancer-web-map.yaml').spec, status: { ip: expect.stringMatching(/^\d+\.\d+\.\d+\.\d+$/) } });
  });

  it('a later --prune deletes only what was adopted for a load balancer dropped from the set', async () => {
    fs.rmSync(path.join(out, 'loadbalancer-hello-map.yaml'));
    const pruned = await h.cli(['apply', '-f', out, '--prune', '--yes']);
    expect(pruned.code, pruned.stdout + pruned.stderr).toBe(0);
    expect(pruned.stdout).toContain('LoadBalancer/hello-map');
    const left = await inventory();
    expect(left.negs).toEqual(['api-neg', 'cached-neg', 'shop-neg', 'web-neg']);
    expect(left.backends).toEqual(['api-backend', 'cached-bs', 'empty-bs', 'shop-bs', 'web-backend']);
    expect(left.urlMaps).toEqual(['cached-map', 'odd-map', 'shop-map', 'web-map', 'web-redirect']);
    expect(left.httpProxies).toEqual(['cached-proxy', 'odd-proxy', 'web-http-proxy']);
    expect(left.rules).toEqual(['cached-rule', 'odd-rule', 'shop-rule', 'web-http-rule', 'web-https-rule']);
    const diff = await h.cli(['diff', '-f', out]);
    expect(diff.code, diff.stdout + diff.stderr).toBe(0);
  });

  /** Names of every load balancer part in the project, by collection. */
  async function inventory(): Promise<Record<string, string[]>> {
    const collections: Record<string, [string, string?]> = {
      negs: ['RegionNetworkEndpointGroupsClient', REGION], backends: ['BackendServicesClient'], urlMaps: ['UrlMapsClient'], certs: ['SslCertificatesClient'],
      httpsProxies: ['TargetHttpsProxiesClient'], httpProxies: ['TargetHttpProxiesClient'], addresses: ['GlobalAddressesClient'], rules: ['GlobalForwardingRulesClient'],
    };
    const out: Record<string, string[]> = {};
    for (const [k, [client, region]] of Object.entries(collections)) {
      const items: string[] = [];
      for await (const item of compute(client).listAsync({ project: PROJECT, ...(region ? { region } : {}) }, { autoPaginate: false })) items.push(item.name);
      out[k] = items.sort();
    }
    return out;
  }

  /** Every load balancer part by `kind/name`, read through the clients. */
  async function snapshot(names: Record<string, string[]>): Promise<Record<string, any>> {
    const clients: Record<string, [string, string, string?]> = {
      negs: ['networkEndpointGroup', 'RegionNetworkEndpointGroupsClient', REGION],
      backends: ['backendService', 'BackendServicesClient'],
      urlMaps: ['urlMap', 'UrlMapsClient'],
      certs: ['sslCertificate', 'SslCertificatesClient'],
      httpsProxies: ['targetHttpsProxy', 'TargetHttpsProxiesClient'],
      httpProxies: ['targetHttpProxy', 'TargetHttpProxiesClient'],
      addresses: ['address', 'GlobalAddressesClient'],
      rules: ['forwardingRule', 'GlobalForwardingRulesClient'],
    };
    const out: Record<string, any> = {};
    for (const [k, list] of Object.entries(names)) {
      const [kind, client, region] = clients[k];
      // Each collection's path parameter is named like its kind (`backendService`, `address`, ...).
      for (const name of list) out[`${kind}/${name}`] = await get(client, { [kind]: name, ...(region ? { region } : {}) });
    }
    return out;
  }

  it('names a Service it routes to that does not run, instead of making up an empty manifest for it', async () => {
    // A serverless NEG may name a Cloud Run service that was never deployed (or was deleted).
    await backend('gone', 'gone-neg', 'gone-bs');
    await op('UrlMapsClient', 'insert', { urlMapResource: { name: 'gone-map', defaultService: `${WWW}/global/backendServices/gone-bs` } });
    await op('TargetHttpProxiesClient', 'insert', { targetHttpProxyResource: { name: 'gone-proxy', urlMap: `${WWW}/global/urlMaps/gone-map` } });
    await rule('gone-rule', `${WWW}/global/targetHttpProxies/gone-proxy`, '80');
    const dir = path.join(h.dir, 'exported-gone');
    const r = await h.cli(['export', 'loadbalancers', 'gone-map', '--out', dir]);
    expect(r.code, r.stderr).toBe(0);
    expect(fs.readdirSync(dir)).toEqual(['loadbalancer-gone-map.yaml']);
    const text = fs.readFileSync(path.join(dir, 'loadbalancer-gone-map.yaml'), 'utf8');
    expect(text.split('\n').filter((l) => l.startsWith('#')).join('\n')).toMatch(/Service\/gone is not found/);
  });
});

/** A part without what adopting may change: its marks and the fingerprints they bump. */
function strip(r: any): any {
  // `_field` keys are protobufjs's oneof markers for optional fields, present when the field is set.
  const skip = new Set(['description', 'labels', 'fingerprint', 'labelFingerprint']);
  return Object.fromEntries(Object.entries(r).filter(([k]) => !skip.has(k) && !skip.has(k.replace(/^_/, ''))));
}
