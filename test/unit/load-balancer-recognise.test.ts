/**
 * Recognising load balancers made outside runctl from their Compute parts (pure), as a
 * table of named cases: each starts from one chain as gcloud makes it (GET shapes: full
 * self-links, `443-443`, literal IPs) and changes one thing; the result is a LoadBalancer
 * (with what it cannot express listed) or a problem, never half of one.
 */
import { describe, expect, it } from 'vitest';
import { recognise, type Collections } from '../../controllers/load-balancer/recognise';
import type { ComputeResource } from '../../controllers/load-balancer/live';

const P = 'https://www.googleapis.com/compute/v1/projects/p';
const R = 'europe-north1';
const IP = '34.120.0.7';

/** `gcloud`'s HTTPS chain for Cloud Run service `web` with a redirect on reserved address `web-ip`. */
function chain(): Collections {
  const negLink = `${P}/regions/${R}/networkEndpointGroups/web-neg`;
  return {
    backendService: [{ name: 'web-bs', selfLink: `${P}/global/backendServices/web-bs`, loadBalancingScheme: 'EXTERNAL_MANAGED', backends: [{ group: negLink }], fingerprint: 'f' }],
    urlMap: [
      { name: 'web-map', selfLink: `${P}/global/urlMaps/web-map`, defaultService: `${P}/global/backendServices/web-bs`, fingerprint: 'f' },
      { name: 'web-redirect', selfLink: `${P}/global/urlMaps/web-redirect`, defaultUrlRedirect: { httpsRedirect: true, redirectResponseCode: 'MOVED_PERMANENTLY_DEFAULT' } },
    ],
    sslCertificate: [{ name: 'web-cert', type: 'MANAGED', managed: { domains: ['www.example.com'] } }],
    targetHttpsProxy: [{ name: 'web-https', urlMap: `${P}/global/urlMaps/web-map`, sslCertificates: [`${P}/global/sslCertificates/web-cert`], quicOverride: 'NONE' }],
    targetHttpProxy: [{ name: 'web-http', urlMap: `${P}/global/urlMaps/web-redirect` }],
    address: [{ name: 'web-ip', address: IP }],
    forwardingRule: [
      { name: 'web-https-fr', target: `${P}/global/targetHttpsProxies/web-https`, IPAddress: IP, portRange: '443-443', loadBalancingScheme: 'EXTERNAL_MANAGED' },
      { name: 'web-http-fr', target: `${P}/global/targetHttpProxies/web-http`, IPAddress: IP, portRange: '80-80', loadBalancingScheme: 'EXTERNAL_MANAGED' },
    ],
    negs: new Map([[`projects/p/regions/${R}/networkEndpointGroups/web-neg`, { name: 'web-neg', networkEndpointType: 'SERVERLESS', cloudRun: { service: 'web' }, region: `${P}/regions/${R}` }]]),
  };
}

const item = (list: ComputeResource[], name: string) => list.find((x) => x.name === name)!;

const CASES: Array<{ reason: string; change(c: Collections): void; problem?: RegExp; unexpressed?: string[]; spec?: Record<string, unknown>; labels?: Record<string, string> }> = [
  {
    reason: 'as gcloud made it: HTTPS, the redirect and the address, every name pinned',
    change: () => undefined,
    unexpressed: [],
    spec: {
      defaultService: 'web', domains: ['www.example.com'], httpsRedirect: true, staticIp: true,
      parts: {
        urlMap: 'web-map', redirectUrlMap: 'web-redirect', httpsProxy: 'web-https', httpProxy: 'web-http', certificates: ['web-cert'], address: 'web-ip',
        httpsForwardingRule: 'web-https-fr', httpForwardingRule: 'web-http-fr', backendServices: { web: 'web-bs' }, networkEndpointGroups: { web: 'web-neg' },
      },
    },
  },
  {
    reason: 'a classic Application Load Balancer (EXTERNAL) is not a LoadBalancer',
    change: (c) => void (item(c.forwardingRule, 'web-https-fr').loadBalancingScheme = 'EXTERNAL'),
    problem: /loadBalancingScheme EXTERNAL/,
  },
  {
    reason: 'a default backend bucket cannot be a Service',
    change: (c) => void (item(c.urlMap, 'web-map').defaultService = `${P}/global/backendBuckets/static`),
    problem: /not a backend service/,
  },
  {
    reason: 'an instance group backend cannot be a Service',
    change: (c) => void (item(c.backendService, 'web-bs').backends = [{ group: `${P}/zones/${R}-a/instanceGroups/ig` }]),
    problem: /no serverless NEG/,
  },
  {
    reason: 'only a self-managed certificate: spec.domains stands for managed ones',
    change: (c) => void Object.assign(item(c.sslCertificate, 'web-cert'), { type: 'SELF_MANAGED', managed: undefined }),
    problem: /no Google-managed certificate/,
  },
  {
    reason: 'one Cloud Run service behind two backend services',
    change: (c) => {
      c.backendService.push({ ...item(c.backendService, 'web-bs'), name: 'web-bs-2' });
      Object.assign(item(c.urlMap, 'web-map'), { hostRules: [{ hosts: ['a.example.com'], pathMatcher: 'm' }], pathMatchers: [{ name: 'm', defaultService: `${P}/global/backendServices/web-bs-2` }] });
    },
    problem: /behind two backend services/,
  },
  {
    reason: 'a redirect on ephemeral IPs is listed, not expressed (httpsRedirect needs staticIp)',
    change: (c) => void (c.address = []),
    unexpressed: ['forwardingRule web-http-fr: an HTTP-to-HTTPS redirect on an ephemeral IP (httpsRedirect needs staticIp)'],
    spec: { httpsRedirect: false, staticIp: false },
  },
  {
    reason: 'CDN, IAP, a second backend, an SSL policy and a second HTTPS rule are listed',
    change: (c) => {
      const bs = item(c.backendService, 'web-bs');
      Object.assign(bs, { enableCDN: true, iap: { enabled: true }, backends: [...bs.backends!, { group: `${P}/regions/us-east1/networkEndpointGroups/web-neg-us` }] });
      item(c.targetHttpsProxy, 'web-https').sslPolicy = `${P}/global/sslPolicies/modern`;
      c.forwardingRule.push({ ...item(c.forwardingRule, 'web-https-fr'), name: 'web-https-v6', IPAddress: '2600:1901::1' });
    },
    unexpressed: [
      'backendService web-bs: enableCDN (Cloud CDN)',
      'backendService web-bs: iap (Identity-Aware Proxy)',
      'backendService web-bs: backends[] projects/p/regions/us-east1/networkEndpointGroups/web-neg-us (a second backend)',
      'targetHttpsProxy web-https: sslPolicy modern',
      'forwardingRule web-https-v6: a second HTTPS forwarding rule (IP 2600:1901::1)',
    ],
  },
  {
    reason: 'hosts grouped in one host rule (gcloud --new-hosts=a,b) become one route each',
    change: (c) => {
      c.backendService.push({ name: 'api-bs', backends: [{ group: `${P}/regions/${R}/networkEndpointGroups/api-neg` }] });
      c.negs.set(`projects/p/regions/${R}/networkEndpointGroups/api-neg`, { name: 'api-neg', networkEndpointType: 'SERVERLESS', cloudRun: { service: 'api' } });
      Object.assign(item(c.urlMap, 'web-map'), {
        hostRules: [{ hosts: ['a.example.com', 'b.example.com'], pathMatcher: 'apis' }],
        pathMatchers: [{ name: 'apis', defaultService: `${P}/global/backendServices/web-bs`, pathRules: [{ paths: ['/v1/*'], service: `${P}/global/backendServices/api-bs` }] }],
      });
    },
    unexpressed: [],
    spec: { routes: [{ host: 'a.example.com', paths: ['/v1/*'], service: 'api' }, { host: 'b.example.com', paths: ['/v1/*'], service: 'api' }] },
  },
  {
    reason: 'labels every labelled part carries become the manifest labels; the others are listed',
    change: (c) => {
      item(c.forwardingRule, 'web-https-fr').labels = { team: 'web', tier: 'front' };
      item(c.forwardingRule, 'web-http-fr').labels = { team: 'web' };
      item(c.address, 'web-ip').labels = { team: 'web' };
    },
    labels: { team: 'web' },
    unexpressed: ['web-https-fr: labels["tier"] (labels the other parts do not carry)'],
  },
];

describe('LoadBalancer recognised from parts made outside runctl', () => {
  for (const c of CASES) {
    it(c.reason, () => {
      const cols = chain();
      c.change(cols);
      const { chains, problems } = recognise(cols, new Set());
      if (c.problem) {
        expect(chains).toEqual([]);
        expect(problems).toEqual([{ urlMap: 'web-map', reason: expect.stringMatching(c.problem) }]);
        return;
      }
      expect(problems).toEqual([]);
      expect(chains.map((x) => x.name)).toEqual(['web-map']);
      if (c.spec) expect(chains[0].spec).toMatchObject(c.spec);
      if (c.unexpressed) expect(chains[0].unexpressed).toEqual(c.unexpressed);
      if (c.labels) expect(chains[0].labels).toEqual(c.labels);
    });
  }

  it("leaves parts carrying runctl's marker to runctl's own listing, and names a chain apart from those taken", () => {
    const cols = chain();
    item(cols.forwardingRule, 'web-https-fr').labels = { 'managed-by': 'runctl', 'runctl-set': 'default', 'runctl-lb': 'x' };
    item(cols.forwardingRule, 'web-http-fr').description = 'managed-by=runctl runctl-set=default lb=x';
    expect(recognise(cols, new Set())).toEqual({ chains: [], problems: [] });
    const named = recognise(chain(), new Set(['web-map']));
    expect(named.chains.map((x) => x.name)).toEqual(['web-map-2']);
  });
});
