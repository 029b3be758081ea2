/**
 * The sub-resources a LoadBalancer spec asks for (pure), and the comparable "view" of
 * each one, computed the same way from the desired request body and from the live
 * object, so that planning is a diff of views. References in views are short names
 * (`gradio-lb-bs-gradio`), in bodies project-relative paths.
 */
import type { LoadBalancerParts } from '../generated/manifests';
import { LABEL_MANAGED_BY } from '../../src/engine/ownership';
import { lastSegment, relPath } from './compute-ops';
import { describeOwner, LABEL_LB, markerOf, matcherName, partNames, type PartNames, type SubKind } from './names';
import type { ComputeResource, LiveModel, LiveSub } from './live';
import { normalizeRoutes, routesOfUrlMap, type LbRoute, type LbSpec } from './spec';

export type { ComputeResource, LiveModel, LiveSub };

/** A sub-resource as the spec wants it. */
export interface WantSub {
  kind: SubKind;
  name: string;
  /** Region of a serverless NEG. */
  region?: string;
  /** The insert body (references as `projects/p/...` paths). */
  body: ComputeResource;
  /** What is compared with the live view. */
  view: SubView;
}

/** A URL map path rule in a view: paths and the backend service's short name. */
export type PathRuleView = { paths?: string[]; service?: string };
/** A URL map path matcher in a view. */
export type PathMatcherView = { name: string; defaultService?: string; pathRules: PathRuleView[] };
/** A URL map host rule in a view. */
export type HostRuleView = { hosts: string[]; pathMatcher: string };
/** The routing part of a URL map's view, as the spec wants it (every service named). */
export type UrlMapRouting = {
  defaultService: string;
  hostRules: HostRuleView[];
  pathMatchers: Array<{ name: string; defaultService: string; pathRules: Array<{ paths?: string[]; service: string }> }>;
};

/**
 * The comparable form of a sub-resource: which fields are set depends on its kind (see
 * `desiredModel` and `liveView`, which build them the same way). A type alias, not an
 * interface, so that it is a record for `diffDeclared`.
 */
export type SubView = {
  /** NEG: the Cloud Run service. */
  service?: string;
  /** Backend service: its NEGs as `regions/r/networkEndpointGroups/n`. */
  backends?: string[];
  /** The ownership marker found in `description` (see `ownerOf`); compared only when runctl owns the load balancer. */
  owner?: string;
  /** URL map: the backend service of requests no route matches. */
  defaultService?: string;
  /** URL map: its routing in manifest terms, services as backend service names (see `routingView`). */
  routes?: LbRoute[];
  defaultUrlRedirect?: { httpsRedirect: boolean; redirectResponseCode?: string };
  /** Certificate: its managed domains. */
  domains?: string[];
  urlMap?: string;
  sslCertificates?: string[];
  labels?: Record<string, string>;
  /** Forwarding rule: `collection/proxy`, `address <name>` or `ephemeral`, ports and scheme. */
  target?: string;
  ip?: string;
  portRange?: string;
  loadBalancingScheme?: string;
};

/** Inputs beside the spec. */
export interface ModelInput {
  project: string;
  lb: string;
  set: string;
  /** Labels for labelled sub-resources (manifest labels + ownership). */
  labels: Record<string, string>;
  /** Region of each Service the load balancer routes to. */
  regionOf(service: string): string;
  /** Existing Compute resources the spec names as its parts (`spec.parts`). */
  parts?: LoadBalancerParts;
  /** The managed domains of a live certificate, when known (pinned certificates are used while they cover the domains). */
  certDomains?(name: string): string[] | undefined;
}

/**
 * The ownership marker a description carries, in one canonical spelling, or undefined
 * when it carries none (a resource made outside runctl).
 */
export function ownerOf(description: string | null | undefined): string | undefined {
  const m = markerOf({ description });
  return m.managedBy ? `managed-by=${m.managedBy} runctl-set=${m.set ?? ''} lb=${m.lb ?? ''}` : undefined;
}

/**
 * A description carrying `marker`: the text a person wrote (gcloud's `--description`) is
 * kept, and only runctl's marker tokens are replaced, so adopting writes nothing but the mark.
 */
export function withOwner(description: string | null | undefined, marker: string): string {
  const keys = new Set(['managed-by', 'runctl-set', 'lb']);
  const text = (description ?? '').split(/\s+/).filter((w) => w && !keys.has(w.split('=')[0])).join(' ');
  return text ? `${text} ${marker}` : marker;
}

/**
 * A URL map's routing in manifest terms, services named by their backend service: equal
 * for two maps that route every host and path alike, whatever their path matchers are
 * called or however their hosts are grouped (a map made with gcloud's
 * `add-path-matcher` against one runctl made).
 */
export function routingView(defaultService: string, routes: LbRoute[] | undefined): Pick<SubView, 'defaultService' | 'routes'> {
  return { defaultService, routes: normalizeRoutes(routes, defaultService) ?? [] };
}

export const REDIRECT = { httpsRedirect: true, redirectResponseCode: 'MOVED_PERMANENTLY_DEFAULT' };

/** `projects/p/regions/r/networkEndpointGroups/n` → `regions/r/networkEndpointGroups/n`. */
const local = (link: string | null | undefined) => relPath(link).replace(/^projects\/[^/]+\//, '');

/** The URL map's routing, as a view (short names) — hosts grouped, path routes without host inherited by every host. */
export function urlMapView(spec: LbSpec, bs: (service: string) => string): UrlMapRouting {
  const routes = spec.routes ?? [];
  const anyHost = routes.filter((r) => !r.host);
  const hosts = [...new Set(routes.filter((r) => r.host).map((r) => r.host!))].sort();
  const rule = (r: { paths?: string[]; service: string }) => ({ paths: r.paths, service: bs(r.service) });
  const matchers: UrlMapRouting['pathMatchers'] = [];
  const hostRules: HostRuleView[] = [];
  if (anyHost.length) {
    matchers.push({ name: matcherName('*'), defaultService: bs(spec.defaultService), pathRules: anyHost.map((r) => rule(r)) });
    hostRules.push({ hosts: ['*'], pathMatcher: matcherName('*') });
  }
  for (const host of hosts) {
    const own = routes.filter((r) => r.host === host);
    const declared = new Set(own.flatMap((r) => r.paths ?? []));
    const pathRules = own.filter((r) => r.paths).map((r) => rule(r));
    for (const r of anyHost) {
      const rest = r.paths!.filter((p) => !declared.has(p));
      if (rest.length) pathRules.push(rule({ paths: rest, service: r.service }));
    }
    const dflt = own.find((r) => !r.paths)?.service ?? spec.defaultService;
    matchers.push({ name: matcherName(host), defaultService: bs(dflt), pathRules });
    hostRules.push({ hosts: [host], pathMatcher: matcherName(host) });
  }
  matchers.sort((a, b) => a.name.localeCompare(b.name));
  hostRules.sort((a, b) => a.pathMatcher.localeCompare(b.pathMatcher));
  // Always declared, even empty: a live rule the spec no longer has must show as a change.
  return { defaultService: bs(spec.defaultService), hostRules, pathMatchers: matchers };
}

/**
 * The certificates the HTTPS proxy should serve: the pinned ones (`spec.parts.certificates`)
 * while their managed domains together are exactly `domains` (unknown ones are assumed to,
 * when only names are asked for), otherwise one runctl certificate for `domains`.
 */
function certificatesOf(n: PartNames, domains: string[], input: ModelInput): Array<{ name: string; domains: string[] }> {
  if (n.certificates?.length) {
    const known = n.certificates.map((name) => ({ name, domains: input.certDomains?.(name) }));
    if (known.every((c) => !c.domains)) return known.map((c) => ({ name: c.name, domains }));
    const covered = [...new Set(known.flatMap((c) => c.domains ?? []))].sort();
    if (known.every((c) => c.domains) && JSON.stringify(covered) === JSON.stringify([...domains].sort())) return known.map((c) => ({ name: c.name, domains: c.domains! }));
  }
  return [{ name: n.cert(domains), domains }];
}

/** Everything the spec asks for, in creation order. */
export function desiredModel(spec: LbSpec, input: ModelInput): WantSub[] {
  const { project, lb } = input;
  const n = partNames(lb, input.parts);
  const description = describeOwner(input.set, lb);
  // Ownership marks are wanted when planning as the owner (the engine adds managed-by to the
  // labels); without them (is an unowned chain already what the spec says?) they are not compared.
  const marks = !!input.labels[LABEL_MANAGED_BY];
  const owner = marks ? { owner: description } : {};
  const g = (collection: string, name: string) => `projects/${project}/global/${collection}/${name}`;
  const labels = marks ? { ...input.labels, [LABEL_LB]: lb } : { ...input.labels };
  const out: WantSub[] = [];
  const services = [...new Set([spec.defaultService, ...(spec.routes ?? []).map((r) => r.service)])].sort();
  for (const s of services) {
    const region = input.regionOf(s);
    const neg = n.neg(s);
    out.push({
      kind: 'networkEndpointGroup', name: neg, region,
      body: { name: neg, description, networkEndpointType: 'SERVERLESS', cloudRun: { service: s } },
      view: { service: s },
    });
    const group = `regions/${region}/networkEndpointGroups/${neg}`;
    out.push({
      kind: 'backendService', name: n.backend(s),
      body: { name: n.backend(s), description, loadBalancingScheme: 'EXTERNAL_MANAGED', backends: [{ group: `projects/${project}/${group}` }] },
      view: { backends: [group], ...owner },
    });
  }
  const routing = urlMapView(spec, n.backend);
  const toPath = (name: string) => g('backendServices', name);
  out.push({
    kind: 'urlMap', name: n.urlMap,
    body: {
      name: n.urlMap, description,
      defaultService: toPath(routing.defaultService),
      hostRules: routing.hostRules,
      pathMatchers: routing.pathMatchers.map((pm) => ({
        name: pm.name,
        defaultService: toPath(pm.defaultService),
        pathRules: pm.pathRules.map((r) => ({ paths: r.paths, service: toPath(r.service) })),
      })),
    },
    view: { ...routingView(n.backend(spec.defaultService), (spec.routes ?? []).map((r) => ({ ...r, service: n.backend(r.service) }))), ...owner },
  });
  const https = !!spec.domains?.length;
  const redirect = https && spec.httpsRedirect;
  if (redirect) {
    out.push({ kind: 'urlMap', name: n.redirect, body: { name: n.redirect, description, defaultUrlRedirect: { ...REDIRECT, stripQuery: false } }, view: { defaultUrlRedirect: REDIRECT, ...owner } });
  }
  if (https) {
    // Google strips a trailing dot from managed domains (and reports them stripped): want them so.
    const domains = spec.domains!.map((d: string) => d.replace(/\.$/, ''));
    const certs = certificatesOf(n, domains, input);
    for (const c of certs) out.push({ kind: 'sslCertificate', name: c.name, body: { name: c.name, description, type: 'MANAGED', managed: { domains: c.domains } }, view: { domains: c.domains } });
    out.push({
      kind: 'targetHttpsProxy', name: n.httpsProxy,
      body: { name: n.httpsProxy, description, urlMap: g('urlMaps', n.urlMap), sslCertificates: certs.map((c) => g('sslCertificates', c.name)) },
      view: { urlMap: n.urlMap, sslCertificates: certs.map((c) => c.name), ...owner },
    });
  }
  if (!https || redirect) {
    const target = redirect ? n.redirect : n.urlMap;
    out.push({ kind: 'targetHttpProxy', name: n.httpProxy, body: { name: n.httpProxy, description, urlMap: g('urlMaps', target) }, view: { urlMap: target, ...owner } });
  }
  if (spec.staticIp) {
    out.push({ kind: 'address', name: n.ip, body: { name: n.ip, description, ipVersion: 'IPV4', labels }, view: { labels: { ...labels } } });
  }
  const rule = (name: string, proxy: string, collection: string, port: string): WantSub => ({
    kind: 'forwardingRule', name,
    body: {
      name, description, labels, loadBalancingScheme: 'EXTERNAL_MANAGED', IPProtocol: 'TCP', networkTier: 'PREMIUM', portRange: port,
      target: g(collection, proxy), ...(spec.staticIp ? { IPAddress: g('addresses', n.ip) } : {}),
    },
    view: { target: `${collection}/${proxy}`, ip: spec.staticIp ? `address ${n.ip}` : 'ephemeral', portRange: `${port}-${port}`, loadBalancingScheme: 'EXTERNAL_MANAGED', labels: { ...labels } },
  });
  if (https) out.push(rule(n.httpsRule, n.httpsProxy, 'targetHttpsProxies', '443'));
  if (!https || redirect) out.push(rule(n.httpRule, n.httpProxy, 'targetHttpProxies', '80'));
  return out;
}

/** A live field as a view value: empty strings and nulls (absent in the API's JSON) are undefined. */
function opt<T>(v: T | null | undefined): T | undefined {
  return v === '' || v === null ? undefined : v;
}

/** The view of a live sub-resource (same shape as `WantSub.view`). */
export function liveView(sub: LiveSub, lb: string, live: LiveModel, names: PartNames = partNames(lb, undefined)): SubView {
  const r = sub.raw;
  const owner = ownerOf(r.description);
  switch (sub.kind) {
    case 'networkEndpointGroup':
      return { service: opt(r.cloudRun?.service) };
    case 'backendService':
      return { backends: (r.backends ?? []).map((b) => local(b.group)), owner };
    case 'urlMap': {
      if (r.defaultUrlRedirect && !opt(r.defaultService)) {
        return { defaultUrlRedirect: { httpsRedirect: !!r.defaultUrlRedirect.httpsRedirect, redirectResponseCode: opt(r.defaultUrlRedirect.redirectResponseCode) ?? 'MOVED_PERMANENTLY_DEFAULT' }, owner };
      }
      const routing = routesOfUrlMap(r, (link) => lastSegment(link) || undefined);
      return { ...routingView(routing.defaultService ?? '', routing.routes), owner };
    }
    case 'sslCertificate':
      return { domains: (r.managed?.domains ?? []).map((d) => d.replace(/\.$/, '')).sort() };
    case 'targetHttpsProxy':
      return { urlMap: lastSegment(r.urlMap), sslCertificates: (r.sslCertificates ?? []).map(lastSegment), owner };
    case 'targetHttpProxy':
      return { urlMap: lastSegment(r.urlMap), owner };
    case 'address':
      return { labels: { ...(r.labels ?? {}) } };
    case 'forwardingRule': {
      const ip = names.ip;
      const address = live.subs.find((s) => s.kind === 'address' && s.name === ip)?.raw.address;
      const parts = relPath(r.target).split('/');
      return {
        target: parts.slice(-2).join('/'),
        ip: address && r.IPAddress === address ? `address ${ip}` : 'ephemeral',
        portRange: opt(r.portRange),
        loadBalancingScheme: opt(r.loadBalancingScheme),
        labels: { ...(r.labels ?? {}) },
      };
    }
  }
}
