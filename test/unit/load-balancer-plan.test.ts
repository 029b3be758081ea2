/**
 * LoadBalancer planning as tables of named cases: a desired spec against live
 * sub-resources, the steps (one per sub-resource) that the plan shows and apply runs.
 * Live objects are the desired request bodies as the Compute API returns them (full
 * self-links, `443-443` port ranges, literal IPs) — see `materialize`.
 */
import { describe, expect, it } from 'vitest';
import { desiredModel, type LiveModel, type LiveSub, type WantSub } from '../../controllers/load-balancer/model';
import { lbNames } from '../../controllers/load-balancer/names';
import type { LoadBalancerSpec } from '../../controllers/generated/manifests';
import { normalizeLbSpec, specFromLive } from '../../controllers/load-balancer/spec';
import { planSteps, type Step } from '../../controllers/load-balancer/steps';

const PROJECT = 'p';
const LINK = 'https://www.googleapis.com/compute/v1/';
const IP = '34.120.0.7';

const input = (regions: Record<string, string> = {}) => ({
  project: PROJECT,
  lb: 'web',
  set: 'default',
  labels: { 'managed-by': 'runctl', 'runctl-set': 'default' },
  regionOf: (s: string) => regions[s] ?? 'europe-north1',
});

/** What the server returns for a created body: self-links, normalised ports, literal IPs. */
function materialize(w: WantSub): LiveSub {
  const link = (v: string) => (v ? `${LINK}${v}` : v);
  const b = JSON.parse(JSON.stringify(w.body));
  switch (w.kind) {
    case 'backendService':
      b.backends = b.backends.map((x: any) => ({ ...x, group: link(x.group), balancingMode: 'UTILIZATION' }));
      break;
    case 'urlMap':
      if (b.defaultService) b.defaultService = link(b.defaultService);
      for (const pm of b.pathMatchers ?? []) {
        pm.defaultService = link(pm.defaultService);
        for (const r of pm.pathRules) r.service = link(r.service);
      }
      break;
    case 'targetHttpsProxy':
      b.sslCertificates = b.sslCertificates.map(link);
      b.urlMap = link(b.urlMap);
      break;
    case 'targetHttpProxy':
      b.urlMap = link(b.urlMap);
      break;
    case 'address':
      b.address = IP;
      break;
    case 'forwardingRule':
      b.target = link(b.target);
      b.portRange = `${b.portRange}-${b.portRange}`;
      b.IPAddress = b.IPAddress ? IP : '34.149.0.9';
      break;
  }
  return { kind: w.kind, name: w.name, region: w.region, raw: { ...b, fingerprint: 'fp', id: '1' }, owned: true };
}

const liveOf = (spec: LoadBalancerSpec, regions?: Record<string, string>): LiveModel => ({
  subs: desiredModel(normalizeLbSpec(spec), input(regions)).map(materialize),
});

const plan = (spec: LoadBalancerSpec, live: LiveModel, regions?: Record<string, string>): Step[] =>
  planSteps(desiredModel(normalizeLbSpec(spec), input(regions)), live, { lb: 'web' });

/** `action kind name` for every step that does something. */
const changed = (steps: Step[]) => steps.filter((s) => s.action !== 'noop').map((s) => `${s.action} ${s.kind} ${s.name}${s.region ? `@${s.region}` : ''}`);

const n = lbNames('web');
const BASE = { defaultService: 'app', domains: ['app.example.com'], httpsRedirect: true, staticIp: true };
const CERT1 = n.cert(['app.example.com']);
const CERT2 = n.cert(['app.example.com', 'www.example.com']);

describe('LoadBalancer plan: minimal sub-resource changes', () => {
  const cases: Array<{ name: string; reason: string; live: LiveModel; spec: LoadBalancerSpec; regions?: Record<string, string>; want: string[] }> = [
    {
      name: 'unchanged',
      reason: 'a spec equal to what is deployed plans nothing',
      live: liveOf(BASE),
      spec: BASE,
      want: [],
    },
    {
      name: 'fresh',
      reason: 'everything is created in dependency order: NEG, backend, URL maps, certificate, proxies, address, rules',
      live: { subs: [] },
      spec: BASE,
      want: [
        `create networkEndpointGroup ${n.neg('app')}@europe-north1`,
        `create backendService ${n.backend('app')}`,
        `create urlMap ${n.urlMap}`,
        `create urlMap ${n.redirect}`,
        `create sslCertificate ${CERT1}`,
        `create targetHttpsProxy ${n.httpsProxy}`,
        `create targetHttpProxy ${n.httpProxy}`,
        `create address ${n.ip}`,
        `create forwardingRule ${n.httpsRule}`,
        `create forwardingRule ${n.httpRule}`,
      ],
    },
    {
      name: 'add a route to a second service',
      reason: 'only the URL map changes, plus a NEG and a backend service for the new service',
      live: liveOf(BASE),
      spec: { ...BASE, routes: [{ host: 'api.example.com', paths: ['/api/*'], service: 'api' }] },
      want: [`create networkEndpointGroup ${n.neg('api')}@europe-north1`, `create backendService ${n.backend('api')}`, `update urlMap ${n.urlMap}`],
    },
    {
      name: 'add a domain',
      reason: 'a new certificate is created and attached before the old one is deleted (never detach first)',
      live: liveOf(BASE),
      spec: { ...BASE, domains: ['www.example.com', 'app.example.com'] },
      want: [`create sslCertificate ${CERT2}`, `update targetHttpsProxy ${n.httpsProxy}`, `delete sslCertificate ${CERT1}`],
    },
    {
      name: 'drop httpsRedirect',
      reason: 'the HTTP forwarding rule, the HTTP proxy and the redirect URL map go, in that order',
      live: liveOf(BASE),
      spec: { ...BASE, httpsRedirect: false },
      want: [`delete forwardingRule ${n.httpRule}`, `delete targetHttpProxy ${n.httpProxy}`, `delete urlMap ${n.redirect}`],
    },
    {
      name: 'drop every domain',
      reason: 'the HTTP proxy moves to the main URL map before the HTTPS chain and the redirect map are deleted',
      live: liveOf(BASE),
      spec: { defaultService: 'app', staticIp: true },
      want: [
        `update targetHttpProxy ${n.httpProxy}`,
        `delete forwardingRule ${n.httpsRule}`,
        `delete targetHttpsProxy ${n.httpsProxy}`,
        `delete sslCertificate ${CERT1}`,
        `delete urlMap ${n.redirect}`,
      ],
    },
    {
      name: 'release the static IP',
      reason: 'a forwarding rule cannot change its IP: it is re-created on an ephemeral one, then the address is released',
      live: liveOf({ defaultService: 'app', staticIp: true }),
      spec: { defaultService: 'app' },
      want: [`replace forwardingRule ${n.httpRule}`, `delete address ${n.ip}`],
    },
    {
      name: 'service moved to another region',
      reason: 'a NEG is immutable: a new one in the new region, the backend service moves to it, the old one goes',
      live: liveOf(BASE),
      spec: BASE,
      regions: { app: 'europe-west4' },
      want: [`create networkEndpointGroup ${n.neg('app')}@europe-west4`, `update backendService ${n.backend('app')}`, `delete networkEndpointGroup ${n.neg('app')}@europe-north1`],
    },
    {
      name: 'route removed',
      reason: 'the URL map stops using the service first; then its backend service and NEG are deleted',
      live: liveOf({ ...BASE, routes: [{ paths: ['/api/*'], service: 'api' }] }),
      spec: BASE,
      want: [`update urlMap ${n.urlMap}`, `delete backendService ${n.backend('api')}`, `delete networkEndpointGroup ${n.neg('api')}@europe-north1`],
    },
  ];
  for (const c of cases) {
    it(`${c.name}: ${c.reason}`, () => {
      expect(changed(plan(c.spec, c.live, c.regions))).toEqual(c.want);
    });
  }

  it('deleting the load balancer removes every owned sub-resource in reverse creation order', () => {
    const live = liveOf(BASE);
    expect(changed(planSteps([], live, { lb: 'web' }))).toEqual([
      `delete forwardingRule ${n.httpsRule}`,
      `delete forwardingRule ${n.httpRule}`,
      `delete address ${n.ip}`,
      `delete targetHttpsProxy ${n.httpsProxy}`,
      `delete targetHttpProxy ${n.httpProxy}`,
      `delete sslCertificate ${CERT1}`,
      `delete urlMap ${n.urlMap}`,
      `delete urlMap ${n.redirect}`,
      `delete backendService ${n.backend('app')}`,
      `delete networkEndpointGroup ${n.neg('app')}@europe-north1`,
    ]);
  });

  it('never deletes a sub-resource it does not own', () => {
    const live = liveOf(BASE);
    live.subs.push({ ...materialize(desiredModel(normalizeLbSpec({ defaultService: 'other' }), input())[0]), owned: false });
    expect(changed(planSteps([], live, { lb: 'web' }))).not.toContain(`delete networkEndpointGroup ${n.neg('other')}@europe-north1`);
  });

  it('says that a managed certificate takes long and needs DNS', () => {
    const steps = plan({ ...BASE, domains: ['new.example.com'] }, liveOf(BASE));
    const cert = steps.find((s) => s.kind === 'sslCertificate' && s.action === 'create')!;
    expect(cert.notes.join(' ')).toMatch(/minutes to hours.*DNS for new\.example\.com/);
    expect(steps.find((s) => s.kind === 'sslCertificate' && s.action === 'delete')!.notes.join(' ')).toMatch(/never detached first/);
  });

  it('updates proxies with their verbs and URL maps with fingerprinted updates', () => {
    const steps = plan({ ...BASE, domains: ['www.example.com'], routes: [{ paths: ['/x/*'], service: 'x' }] }, liveOf(BASE));
    const proxy = steps.find((s) => s.kind === 'targetHttpsProxy')!;
    expect(proxy.ops).toEqual([{ op: 'setSslCertificates', sslCertificates: [`projects/p/global/sslCertificates/${n.cert(['www.example.com'])}`] }]);
    expect(steps.find((s) => s.name === n.urlMap)!.ops.map((o) => o.op)).toEqual(['update']);
  });

  it('says what a routing change drops that the manifest cannot express (an adopted map\'s header action, a second backend)', () => {
    const live = liveOf(BASE);
    const um = live.subs.find((s) => s.name === n.urlMap)!;
    um.raw = { ...um.raw, headerAction: { requestHeadersToAdd: [{ headerName: 'x', headerValue: 'y' }] } };
    const bs = live.subs.find((s) => s.name === n.backend('app'))!;
    bs.raw = { ...bs.raw, backends: [...bs.raw.backends!, { group: `${LINK}projects/p/regions/us-east1/networkEndpointGroups/other` }] };
    // Same routing and backend: the extras are neither compared nor written.
    expect(changed(plan(BASE, live))).toEqual([]);
    const steps = plan({ ...BASE, routes: [{ paths: ['/x/*'], service: 'x' }] }, live, { app: 'europe-west1' });
    expect(steps.find((s) => s.name === n.urlMap)!.notes).toEqual(['rewrites the URL map, dropping what the manifest cannot express: headerAction']);
    expect(steps.find((s) => s.name === n.backend('app'))!.notes[0]).toMatch(/^replaces its 2 backends \(.*\/other\) with projects\/p\/regions\/europe-west1\/networkEndpointGroups\//);
  });
});

describe('LoadBalancer spec read back from the live URL map', () => {
  const specs: Array<{ name: string; spec: LoadBalancerSpec }> = [
    { name: 'default service only', spec: { defaultService: 'app' } },
    { name: 'https with redirect', spec: BASE },
    { name: 'host routes', spec: { ...BASE, routes: [{ host: 'api.example.com', paths: ['/v1/*', '/v2/*'], service: 'api' }, { host: 'admin.example.com', service: 'admin' }] } },
    { name: 'path routes for every host', spec: { defaultService: 'app', routes: [{ paths: ['/static/*'], service: 'assets' }, { host: 'api.example.com', paths: ['/api/*'], service: 'api' }] } },
    { name: 'host route overriding a shared path', spec: { defaultService: 'app', routes: [{ paths: ['/a', '/b'], service: 'x' }, { host: 'h.example.com', paths: ['/a'], service: 'y' }] } },
  ];
  for (const s of specs) {
    it(`round-trips: ${s.name}`, () => {
      expect(specFromLive(liveOf(s.spec), 'web')).toEqual(normalizeLbSpec(s.spec));
    });
  }

  it('drops routes that change nothing, so they never show as a difference', () => {
    const spec = { defaultService: 'app', routes: [{ host: 'a.example.com', service: 'app' }, { paths: ['/s/*'], service: 's' }, { host: 'b.example.com', paths: ['/s/*'], service: 's' }] };
    expect(normalizeLbSpec(spec).routes).toEqual([{ paths: ['/s/*'], service: 's' }]);
  });

  it('sends path routes without host to every host too', () => {
    const wants = desiredModel(normalizeLbSpec({ defaultService: 'app', routes: [{ paths: ['/s/*'], service: 's' }, { host: 'h.example.com', paths: ['/api/*'], service: 'api' }] }), input());
    // The request body (the view compares routing in manifest terms, whatever the matchers are called).
    const um = wants.find((w) => w.name === n.urlMap)!.body;
    const host = um.pathMatchers!.find((pm: any) => pm.name === 'host-h-example-com');
    expect(host!.pathRules!.map((r) => ({ paths: r.paths, service: r.service!.split('/').pop() }))).toEqual([
      { paths: ['/api/*'], service: n.backend('api') },
      { paths: ['/s/*'], service: n.backend('s') },
    ]);
    expect(um.hostRules).toEqual([{ hosts: ['*'], pathMatcher: 'any-host' }, { hosts: ['h.example.com'], pathMatcher: 'host-h-example-com' }]);
  });
});
