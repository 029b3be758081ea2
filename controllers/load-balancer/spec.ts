/**
 * The LoadBalancer's manifest form, both ways: a desired spec normalised (sorted routes
 * and domains, defaults made explicit, redundant routes dropped) and the same form read
 * back from the live URL map, certificates, proxies and address — so that equal means
 * equal, and `get` shows what is really deployed.
 */
import type { protos } from '@google-cloud/compute';
import { lastSegment } from './compute-ops';
import type { LiveModel, LiveSub } from './live';
import { lbNames } from './names';
import type { LoadBalancerSpec } from '../generated/manifests';

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

const find = (live: LiveModel, kind: LiveSub['kind'], name: string) => live.subs.find((s) => s.kind === kind && s.name === name && s.owned);

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

/** Read the manifest form back from the live sub-resources; undefined without a URL map. */
export function specFromLive(live: LiveModel, lb: string): LbSpec | undefined {
  const n = lbNames(lb);
  const um = find(live, 'urlMap', n.urlMap)?.raw;
  if (!um) return undefined;
  const defaultService = serviceOfBackend(live, lb, um.defaultService) ?? '';
  const matchers = new Map((um.pathMatchers ?? []).map((pm) => [pm.name, pm]));
  const rulesOf = (pm: PathMatcher | undefined) =>
    (pm?.pathRules ?? []).map((r) => ({ paths: [...(r.paths ?? [])].sort(), service: serviceOfBackend(live, lb, r.service) ?? '' }));
  const hostRules = um.hostRules ?? [];
  const anyHost: LbRoute[] = hostRules.filter((hr) => hr.hosts?.includes('*')).flatMap((hr) => rulesOf(matchers.get(hr.pathMatcher)));
  const routes: LbRoute[] = [...anyHost];
  for (const hr of hostRules) {
    const pm = matchers.get(hr.pathMatcher);
    if (!pm) continue;
    for (const host of (hr.hosts ?? []).filter((h) => h !== '*')) {
      const pmDefault = serviceOfBackend(live, lb, pm.defaultService);
      if (pmDefault && pmDefault !== defaultService) routes.push({ host, service: pmDefault });
      for (const rule of rulesOf(pm)) if (!inherited(rule.paths, rule.service, anyHost)) routes.push({ host, ...rule });
    }
  }
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
  const norm = normalizeRoutes(routes, defaultService);
  if (norm) out.routes = norm;
  if (domains.size) out.domains = [...domains].sort();
  return out;
}
