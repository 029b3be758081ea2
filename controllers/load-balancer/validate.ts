/**
 * LoadBalancer checks beyond the schema (pure, no API calls): the Services it routes to
 * must admit load balancer traffic, HTTPS redirect needs domains and one shared static
 * IP, and no host may route the same path twice. (A Service missing from the manifests
 * is reported by the engine's reference check.)
 */
import type { Diagnostic, FieldPath, Manifest } from '../../src/engine/types';
import { formatPath } from '../../src/validate/paths';
import type { LoadBalancerSpec, Route } from '../generated/manifests';

/** What names Services: the manifest's spec, or its normalised form. */
type Routed = { defaultService?: string; routes?: Route[] };

/** Ingress settings that let an external Application Load Balancer reach a service. */
export const LB_INGRESS = new Set(['all', 'internal-and-cloud-load-balancing']);

const at = (path: FieldPath, message: string): Diagnostic => ({ code: 'InvalidValue', message, path: formatPath(path) });

/** Each referenced service with the field that names it. */
function references(spec: Routed): Array<{ service: string; path: FieldPath }> {
  const out: Array<{ service: string | undefined; path: FieldPath }> = [{ service: spec.defaultService, path: ['spec', 'defaultService'] }];
  (spec.routes ?? []).forEach((r, i) => out.push({ service: r.service, path: ['spec', 'routes', i, 'service'] }));
  return out.filter((r): r is { service: string; path: FieldPath } => typeof r.service === 'string');
}

/** Why a Service cannot be behind the load balancer, or undefined. */
export function ingressProblem(name: string, svc: Manifest): string | undefined {
  const ingress = svc.spec.ingress ?? 'all';
  if (LB_INGRESS.has(ingress)) return undefined;
  const pub = svc.spec.public === true ? '' : ' Also set spec.public: true: Cloud Run behind an external load balancer must allow allUsers to invoke it, or every request gets 403.';
  return `Service/${name} has ingress "${ingress}", which refuses traffic from load balancers: set its spec.ingress to internal-and-cloud-load-balancing (reachable only through the load balancer and the VPC) or all.${pub}`;
}

export function validateLoadBalancer(m: Manifest<LoadBalancerSpec>, all: Manifest[]): Diagnostic[] {
  const spec: Partial<LoadBalancerSpec> = m.spec ?? {};
  const out: Diagnostic[] = [];
  const seen = new Set<string>();
  for (const { service, path } of references(spec)) {
    const svc = all.find((x) => x?.kind === 'Service' && x.metadata?.name === service);
    if (!svc || seen.has(service)) continue;
    seen.add(service);
    const problem = ingressProblem(service, svc);
    if (problem) out.push(at(path, problem));
  }
  const domains = spec.domains ?? [];
  if (spec.httpsRedirect && !domains.length) {
    out.push(at(['spec', 'httpsRedirect'], 'httpsRedirect needs HTTPS: list the domains of the certificate in spec.domains, or drop httpsRedirect'));
  } else if (spec.httpsRedirect && !spec.staticIp) {
    out.push(at(['spec', 'httpsRedirect'], 'httpsRedirect needs spec.staticIp: true: the HTTP and HTTPS forwarding rules must share one reserved IP address, the one DNS points at'));
  }
  const claimed = new Map<string, number>();
  (spec.routes ?? []).forEach((r, i) => {
    const keys = r.paths?.length ? r.paths.map((p) => `${r.host ?? '*'} ${p}`) : r.host ? [`${r.host} (all paths)`] : [];
    for (const k of keys) {
      const first = claimed.get(k);
      if (first !== undefined) out.push(at(['spec', 'routes', i], `routes[${first}] already routes ${k.replace(/^\* /, '')}${r.host ? '' : ' (for every host)'}; each host and path may be routed once`));
      else claimed.set(k, i);
    }
  });
  return out;
}

/** Plan notes for Services that are not public (an external load balancer calls them unauthenticated). */
export function publicNotes(spec: Routed, manifestOf: (key: string) => Manifest | undefined): string[] {
  const notes: string[] = [];
  for (const s of [...new Set(references(spec).map((r) => r.service))].sort()) {
    const svc = manifestOf(`Service/${s}`);
    if (svc && svc.spec.public !== true) {
      notes.push(`Service/${s} is not public: Cloud Run behind an external load balancer must allow allUsers (spec.public: true), or every request through the load balancer gets 403`);
    }
  }
  return notes;
}
