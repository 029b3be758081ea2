/**
 * LoadBalancer checks beyond the schema, as named cases: ingress of the Services it
 * routes to, HTTPS redirect prerequisites, duplicate routes; and the plan note for
 * Services that are not public.
 */
import { describe, expect, it } from 'vitest';
import { loadBalancerController as typed } from '../../controllers/load-balancer';
import type { AnyController } from '../../src/engine/controller';

/** As the engine holds it: any manifest, checked at run time. */
const loadBalancerController: AnyController = typed;
import { publicNotes } from '../../controllers/load-balancer/validate';
import type { Manifest } from '../../src/engine/types';

const svc = (name: string, spec: Record<string, unknown> = {}): Manifest => ({
  apiVersion: 'runctl.dev/v1alpha1',
  kind: 'Service',
  metadata: { name },
  spec: { image: 'gcr.io/p/x', ...spec },
});
const lb = (spec: Record<string, unknown>): Manifest => ({ apiVersion: 'runctl.dev/v1alpha1', kind: 'LoadBalancer', metadata: { name: 'web' }, spec });

describe('LoadBalancer validation', () => {
  const cases: Array<{ name: string; reason: string; spec: Record<string, unknown>; services: Manifest[]; want: Array<{ path: string; match: RegExp }> }> = [
    {
      name: 'ingress for load balancers',
      reason: 'internal-and-cloud-load-balancing and all both admit the load balancer',
      spec: { defaultService: 'a', routes: [{ paths: ['/b/*'], service: 'b' }] },
      services: [svc('a', { ingress: 'internal-and-cloud-load-balancing', public: true }), svc('b', { ingress: 'all' })],
      want: [],
    },
    {
      name: 'default ingress',
      reason: 'an unset ingress is Cloud Run\'s default, all',
      spec: { defaultService: 'a' },
      services: [svc('a')],
      want: [],
    },
    {
      name: 'internal ingress',
      reason: 'internal refuses load balancer traffic: the error names the fix, and public when it is missing',
      spec: { defaultService: 'a', routes: [{ host: 'x.example.com', service: 'b' }] },
      services: [svc('a'), svc('b', { ingress: 'internal' })],
      want: [{ path: 'spec.routes[0].service', match: /Service\/b has ingress "internal".*internal-and-cloud-load-balancing.*spec\.public: true/ }],
    },
    {
      name: 'redirect without domains',
      reason: 'there is no HTTPS to redirect to',
      spec: { defaultService: 'a', httpsRedirect: true, staticIp: true },
      services: [svc('a')],
      want: [{ path: 'spec.httpsRedirect', match: /spec\.domains/ }],
    },
    {
      name: 'redirect without a static IP',
      reason: 'the HTTP and HTTPS forwarding rules must share one reserved address',
      spec: { defaultService: 'a', domains: ['a.example.com'], httpsRedirect: true },
      services: [svc('a')],
      want: [{ path: 'spec.httpsRedirect', match: /staticIp: true/ }],
    },
    {
      name: 'same path twice',
      reason: 'a host and path can be routed only once',
      spec: { defaultService: 'a', routes: [{ host: 'h.example.com', paths: ['/x'], service: 'a' }, { host: 'h.example.com', paths: ['/x', '/y'], service: 'b' }] },
      services: [svc('a'), svc('b')],
      want: [{ path: 'spec.routes[1]', match: /routes\[0\] already routes h\.example\.com \/x/ }],
    },
  ];
  for (const c of cases) {
    it(`${c.name}: ${c.reason}`, () => {
      const got = loadBalancerController.validate!(lb(c.spec), [lb(c.spec), ...c.services]);
      expect(got.map((d) => d.path)).toEqual(c.want.map((w) => w.path));
      got.forEach((d, i) => {
        expect(d.code).toBe('InvalidValue');
        expect(d.message).toMatch(c.want[i].match);
      });
    });
  }

  it('notes in the plan that a Service that is not public answers the load balancer with 403', () => {
    const all = new Map([svc('a', { public: true }), svc('b')].map((m) => [`Service/${m.metadata.name}`, m]));
    const notes = publicNotes({ defaultService: 'a', routes: [{ paths: ['/b'], service: 'b' }] }, (k) => all.get(k));
    expect(notes).toHaveLength(1);
    expect(notes[0]).toMatch(/Service\/b is not public.*403/);
  });
});
