/**
 * The LoadBalancer's manifest form, both ways: a desired spec normalised (sorted routes
 * and domains, defaults made explicit, redundant routes dropped) and the same form read
 * back from the live URL map, certificates, proxies and address — so that equal means
 * equal, and `get` shows what is really deployed.
 */
import type { protos } from '@google-cloud/compute';
import { lastSegment, relPath } from './compute-ops';
import type { ComputeResource, LiveModel, LiveSub } from './live';
import { lbNames, partNames, type PartNames } from './names';
import type { LoadBalancerParts, LoadBalancerSpec } from '../generated/manifests';

/** One routing rule in manifest form. */
export interface LbRoute {
  host?: string;
  paths?: string[];
  service: string;
}

/** The normalised manifest form of a LoadBalancer spec. */
export type LbSpec = {
  defaultService: string;
  routes?: LbRoute[];
  domains?: string[];
  httpsRedirect: boolean;
  staticIp: boolean;
  /**
   * Names of parts made outside runctl (read back from live; never compared: a desired
   * spec leaves it out, as it names the parts rather than describing them).
   */
  parts?: LoadBalancerParts;
};

const routeKey = (r: LbRoute) => `${r.host ?? ''}\u0000${(r.paths ?? []).join(',')}`;

/**
 * Sort routes by host then paths, and drop routes that change nothing: a host-only route
 * to the default service, and a host route that a path route without host already
 * covers (path routes without host apply to every host; see `urlMapOf`).
 */
export function normalizeRoutes(routes: LbRoute[] | undefined, defaultService: string): LbRoute[] | undefined {
  const clean = (routes ?? []).map((r) => {
    const route: LbRoute = { service: r.service };
    if (r.host) route.host = r.host;
    if (r.paths?.length) route.paths = [...new Set(r.paths)].sort();
    return route;
  });
  const anyHost = clean.filter((r) => !r.host && r.paths);
  const out = clean
    .filter((r) => r.paths || r.service !== defaultService)
    .filter((r) => !r.host || !r.paths || !inherited(r.paths, r.service, anyHost))
    .sort((a, b) => routeKey(a).localeCompare(routeKey(b)));
  return out.length ? out : undefined;
}

/** Whether a host's path rule is implied by a path route without host. */
export function inherited(paths: string[], service: string, anyHost: LbRoute[]): boolean {
  return anyHost.some((r) => r.service === service && paths.every((p) => r.paths!.includes(p)));
}

/** Desired spec (as written) → normalised manifest form. */
export function normalizeLbSpec(spec: LoadBalancerSpec): LbSpec {
  const domains = [...new Set((spec.domains ?? []).map((d) => d.replace(/\.$/, '')))].sort();
  const out: LbSpec = {
    defaultService: spec.defaultService,
    httpsRedirect: !!spec.httpsRedirect,
    staticIp: !!spec.staticIp,
  };
  const routes = normalizeRoutes(spec.routes, spec.defaultService);
  if (routes) out.routes = routes;
  if (domains.length) out.domains = domains;
  return out;
}

type PathMatcher = protos.google.cloud.compute.v1.IPathMatcher;

/** A live sub-resource with this kind and name, runctl's or not (the names say which parts are this load balancer's). */
const find = (live: LiveModel, kind: LiveSub['kind'], name: string) => live.subs.find((s) => s.kind === kind && s.name === name);

/**
 * A URL map's routing as manifest routes (not yet normalised), each service named by
 * `svc` from its backend service link: path rules of a `*` host apply to every host, a
 * matcher's default other than the map's is a host route, and a host's path rule that
 * a `*` rule already implies is left out.
 */
export function routesOfUrlMap(um: ComputeResource, svc: (link: string) => string | undefined): { defaultService?: string; routes: LbRoute[] } {
  const defaultService = um.defaultService ? svc(um.defaultService) : undefined;
  const matchers = new Map((um.pathMatchers ?? []).map((pm) => [pm.name, pm]));
  const rulesOf = (pm: PathMatcher | undefined) =>
    (pm?.pathRules ?? []).filter((r) => r.service).map((r) => ({ paths: [...(r.paths ?? [])].sort(), service: svc(r.service!) ?? '' }));
  const hostRules = um.hostRules ?? [];
  const anyHost: LbRoute[] = hostRules.filter((hr) => hr.hosts?.includes('*')).flatMap((hr) => rulesOf(matchers.get(hr.pathMatcher)));
  const routes: LbRoute[] = [...anyHost];
  for (const hr of hostRules) {
    const pm = matchers.get(hr.pathMatcher);
    if (!pm) continue;
    for (const host of (hr.hosts ?? []).filter((h) => h !== '*')) {
      const pmDefault = pm.defaultService ? svc(pm.defaultService) : undefined;
      if (pmDefault && pmDefault !== defaultService) routes.push({ host, service: pmDefault });
      for (const rule of rulesOf(pm)) if (!inherited(rule.paths, rule.service, anyHost)) routes.push({ host, ...rule });
    }
  }
  return { defaultService, routes };
}

/** The Cloud Run service behind a backend service: its NEG's `cloudRun.service`, else the name suffix. */
function serviceOfBackend(live: LiveModel, lb: string, bsLink: string | null | undefined): string | undefined {
  if (!bsLink) return undefined;
  const bsName = lastSegment(bsLink);
  const bs = find(live, 'backendService', bsName);
  const negName = lastSegment(bs?.raw.backends?.[0]?.group);
  const neg = live.subs.find((s) => s.kind === 'networkEndpointGroup' && s.name === negName);
  const prefix = `${lb}-bs-`;
  return neg?.raw.cloudRun?.service || (bsName.startsWith(prefix) ? bsName.slice(prefix.length) : bsName);
}

/**
 * The names of the parts runctl owns, read from what they are (a URL map that only
 * redirects is the redirect map; a forwarding rule's target says whether it is the HTTPS
 * one; a backend service is its NEG's Service's) and kept where they are not runctl's
 * own scheme: the `spec.parts` of an adopted load balancer, for `get`, `export` and prune.
 */
export function partsFromLive(live: LiveModel, lb: string): LoadBalancerParts | undefined {
  const n = lbNames(lb);
  const owned = (kind: LiveSub['kind']) => live.subs.filter((s) => s.owned && s.kind === kind).sort((a, b) => a.name.localeCompare(b.name));
  const redirectOnly = (s: LiveSub) => !!s.raw.defaultUrlRedirect && !s.raw.defaultService;
  const parts: LoadBalancerParts = {};
  const pin = <K extends keyof LoadBalancerParts>(key: K, name: string | undefined, scheme: string) => {
    if (name && name !== scheme) parts[key] = name as LoadBalancerParts[K];
  };
  pin('urlMap', owned('urlMap').find((s) => !redirectOnly(s))?.name, n.urlMap);
  pin('redirectUrlMap', owned('urlMap').find(redirectOnly)?.name, n.redirect);
  const https = owned('targetHttpsProxy')[0];
  pin('httpsProxy', https?.name, n.httpsProxy);
  pin('httpProxy', owned('targetHttpProxy')[0]?.name, n.httpProxy);
  const rules = owned('forwardingRule');
  pin('httpsForwardingRule', rules.find((s) => relPath(s.raw.target).includes('/targetHttpsProxies/'))?.name, n.httpsRule);
  pin('httpForwardingRule', rules.find((s) => relPath(s.raw.target).includes('/targetHttpProxies/'))?.name, n.httpRule);
  pin('address', owned('address')[0]?.name, n.ip);
  const certs = (https?.raw.sslCertificates ?? []).map(lastSegment);
  if (certs.some((c) => !c.startsWith(`${lb}-cert-`))) parts.certificates = certs;
  for (const bs of owned('backendService')) {
    const service = serviceOfBackend(live, lb, bs.name);
    const neg = lastSegment(bs.raw.backends?.[0]?.group);
    if (!service) continue;
    if (bs.name !== n.backend(service)) parts.backendServices = { ...parts.backendServices, [service]: bs.name };
    if (neg && neg !== n.neg(service)) parts.networkEndpointGroups = { ...parts.networkEndpointGroups, [service]: neg };
  }
  return Object.keys(parts).length ? parts : undefined;
}

/**
 * Read the manifest form back from the live sub-resources named by `names` (runctl's
 * scheme unless `parts` pins others); undefined without a URL map.
 */
export function specFromLive(live: LiveModel, lb: string, parts?: LoadBalancerParts): LbSpec | undefined {
  const n: PartNames = partNames(lb, parts);
  const um = find(live, 'urlMap', n.urlMap)?.raw;
  if (!um) return undefined;
  const routing = routesOfUrlMap(um, (link) => serviceOfBackend(live, lb, link));
  const defaultService = routing.defaultService ?? '';
  const https = find(live, 'targetHttpsProxy', n.httpsProxy)?.raw;
  const domains = new Set<string>();
  for (const link of https?.sslCertificates ?? []) {
    const cert = live.subs.find((s) => s.kind === 'sslCertificate' && s.name === lastSegment(link));
    for (const d of cert?.raw.managed?.domains ?? []) domains.add(d.replace(/\.$/, ''));
  }
  const http = find(live, 'targetHttpProxy', n.httpProxy)?.raw;
  const out: LbSpec = {
    defaultService,
    httpsRedirect: !!http && lastSegment(http.urlMap) === n.redirect && !!find(live, 'urlMap', n.redirect),
    staticIp: !!find(live, 'address', n.ip),
  };
  const norm = normalizeRoutes(routing.routes, defaultService);
  if (norm) out.routes = norm;
  if (domains.size) out.domains = [...domains].sort();
  if (parts) out.parts = parts;
  return out;
}
