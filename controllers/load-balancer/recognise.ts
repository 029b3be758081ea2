/**
 * Recognising load balancers made outside runctl (gcloud, the console, Terraform) from
 * their Compute parts, for `export` and `get`: each global forwarding rule leads through
 * its target proxy to a URL map, the map to backend services, each backend service to a
 * serverless NEG and so to a Cloud Run service; the HTTPS proxy to its certificates, the
 * forwarding rule to a reserved address, and an HTTP forwarding rule whose map only
 * redirects to HTTPS, on the same address, is the redirect. One chain per URL map becomes
 * one LoadBalancer, its parts' names pinned in `spec.parts`.
 *
 * Pure: it reads the collections it is given. What the manifest cannot express is
 * listed (`unexpressed`); a chain it cannot stand for at all is a `problem`, never
 * half-exported. Parts carrying a runctl marker are runctl's and are left to its listing.
 */
import { lastSegment, regionOf, relPath } from './compute-ops';
import type { ComputeResource } from './live';
import { lbNames, markerOf } from './names';
import { normalizeRoutes, routesOfUrlMap, type LbSpec } from './spec';
import type { LoadBalancerParts } from '../generated/manifests';

/** Every item of the collections a chain can be made of, in one project. */
export interface Collections {
  backendService: ComputeResource[];
  urlMap: ComputeResource[];
  sslCertificate: ComputeResource[];
  targetHttpsProxy: ComputeResource[];
  targetHttpProxy: ComputeResource[];
  address: ComputeResource[];
  forwardingRule: ComputeResource[];
  /** Serverless NEGs by `projects/p/regions/r/networkEndpointGroups/n`. */
  negs: Map<string, ComputeResource>;
}

/** A chain that is one LoadBalancer. */
export interface Recognised {
  name: string;
  spec: LbSpec;
  /** Labels every labelled part (address, forwarding rules) carries alike. */
  labels: Record<string, string>;
  /** What the manifest cannot express, one line each, naming the part and the API field. */
  unexpressed: string[];
  /** The Cloud Run services it routes to, with their regions. */
  services: Array<{ name: string; region: string }>;
  /** Every part, for the etag: `kind/name=fingerprint`. */
  tokens: string[];
}

/** A chain runctl cannot stand for: reported by `export`, not exported. */
export interface Problem {
  urlMap: string;
  reason: string;
}

/** Carries runctl's marker (another tool's `managed-by` label does not make a part runctl's). */
const marked = (r: ComputeResource | undefined) => !!r && markerOf(r).managedBy === 'runctl';
/** The item of a collection (of one project) a reference names. */
const byName = (list: ComputeResource[], link: string | null | undefined) => (link ? list.find((r) => r.name === lastSegment(link)) : undefined);
const sorted = (list: ComputeResource[]) => [...list].sort((a, b) => String(a.name).localeCompare(String(b.name)));
const redirectOnly = (um: ComputeResource | undefined) => !!um?.defaultUrlRedirect && !um.defaultService;

/** A LoadBalancer name from a URL map's: at most 40 characters, as the schema allows. */
export function lbNameOf(urlMap: string, taken: Set<string>): string {
  let base = urlMap.slice(0, 40).replace(/-+$/, '');
  if (!/^[a-z]/.test(base)) base = `lb-${base}`.slice(0, 40).replace(/-+$/, '');
  let name = base;
  for (let i = 2; taken.has(name); i++) name = `${base.slice(0, 40 - String(i).length - 1).replace(/-+$/, '')}-${i}`;
  taken.add(name);
  return name;
}

/** Settings of a backend service no LoadBalancer field expresses. */
function backendExtras(bs: ComputeResource): string[] {
  const out: string[] = [];
  const at = `backendService ${bs.name}`;
  if (bs.enableCDN) out.push(`${at}: enableCDN (Cloud CDN)`);
  if (bs.iap?.enabled) out.push(`${at}: iap (Identity-Aware Proxy)`);
  if (bs.customRequestHeaders?.length) out.push(`${at}: customRequestHeaders`);
  if (bs.customResponseHeaders?.length) out.push(`${at}: customResponseHeaders`);
  if (bs.securityPolicy) out.push(`${at}: securityPolicy ${lastSegment(bs.securityPolicy)} (Cloud Armor)`);
  if (bs.edgeSecurityPolicy) out.push(`${at}: edgeSecurityPolicy ${lastSegment(bs.edgeSecurityPolicy)}`);
  if (bs.logConfig?.enable) out.push(`${at}: logConfig (request logging)`);
  if (bs.sessionAffinity && bs.sessionAffinity !== 'NONE') out.push(`${at}: sessionAffinity ${bs.sessionAffinity}`);
  for (const b of (bs.backends ?? []).slice(1)) out.push(`${at}: backends[] ${relPath(b.group)} (a second backend)`);
  return out;
}

/** Routing a URL map has beyond hosts, paths and services. */
export function urlMapExtras(um: ComputeResource): string[] {
  const out: string[] = [];
  const at = `urlMap ${um.name}`;
  if (um.defaultRouteAction) out.push(`${at}: defaultRouteAction`);
  if (um.headerAction) out.push(`${at}: headerAction`);
  if (um.tests?.length) out.push(`${at}: tests`);
  for (const pm of um.pathMatchers ?? []) {
    if (pm.routeRules?.length) out.push(`${at}: pathMatchers[${pm.name}].routeRules`);
    if (pm.defaultUrlRedirect || pm.defaultRouteAction) out.push(`${at}: pathMatchers[${pm.name}] default redirect or route action`);
    if (pm.headerAction) out.push(`${at}: pathMatchers[${pm.name}].headerAction`);
    for (const r of pm.pathRules ?? []) if (!r.service) out.push(`${at}: pathMatchers[${pm.name}] path rule ${(r.paths ?? []).join(',')} (redirect or route action)`);
  }
  return out;
}

/** The labels every one of `parts` carries alike (user labels only). */
function commonLabels(parts: ComputeResource[]): { labels: Record<string, string>; rest: string[] } {
  const all = parts.map((p) => p.labels ?? {});
  const labels: Record<string, string> = {};
  const rest: string[] = [];
  for (const [i, l] of all.entries()) {
    for (const [k, v] of Object.entries(l)) {
      if (all.every((o) => o[k] === v)) labels[k] = v;
      else rest.push(`${parts[i].name}: labels["${k}"]`);
    }
  }
  return { labels, rest: [...new Set(rest)].sort() };
}

interface Frontend {
  rule: ComputeResource;
  proxy: ComputeResource;
}

/** Recognise every chain not made by runctl in one project's collections. */
export function recognise(c: Collections, taken: Set<string>): { chains: Recognised[]; problems: Problem[] } {
  const chains: Recognised[] = [];
  const problems: Problem[] = [];
  const https = new Map<string, Frontend[]>();
  const http = new Map<string, Frontend[]>();
  const redirects: Array<Frontend & { map: ComputeResource }> = [];
  for (const rule of sorted(c.forwardingRule)) {
    if (marked(rule)) continue;
    const target = relPath(rule.target);
    const isHttps = target.includes('/targetHttpsProxies/');
    const proxy = byName(isHttps ? c.targetHttpsProxy : c.targetHttpProxy, rule.target);
    const map = proxy && byName(c.urlMap, proxy.urlMap);
    if (!proxy || !map || marked(proxy) || marked(map)) continue;
    if (!isHttps && redirectOnly(map)) redirects.push({ rule, proxy, map });
    else {
      const into = isHttps ? https : http;
      into.set(map.name!, [...(into.get(map.name!) ?? []), { rule, proxy }]);
    }
  }
  const maps = [...new Set([...https.keys(), ...http.keys()])].sort();
  for (const mapName of maps) {
    const map = c.urlMap.find((u) => u.name === mapName)!;
    const out = chainOf(c, map, https.get(mapName) ?? [], http.get(mapName) ?? [], redirects, taken);
    if ('reason' in out) problems.push(out);
    else chains.push(out);
  }
  return { chains, problems };
}

/** The port range a LoadBalancer's front rule has: 443 for HTTPS, 80 for HTTP. */
const hsPort = (front: Frontend, httpsFronts: Frontend[]) => (httpsFronts.includes(front) ? '443-443' : '80-80');

/** One URL map's chain, or why it cannot be a LoadBalancer. */
function chainOf(c: Collections, map: ComputeResource, httpsFronts: Frontend[], httpFronts: Frontend[], redirects: Array<Frontend & { map: ComputeResource }>, taken: Set<string>): Recognised | Problem {
  const problem = (reason: string): Problem => ({ urlMap: map.name!, reason });
  const unexpressed: string[] = [];
  const front = httpsFronts[0] ?? httpFronts[0];
  const scheme = front.rule.loadBalancingScheme;
  const port = hsPort(front, httpsFronts);
  if (front.rule.portRange && front.rule.portRange !== port) return problem(`forwardingRule ${front.rule.name} listens on ports ${front.rule.portRange} (a LoadBalancer serves HTTPS on 443, HTTP on 80)`);
  if (scheme !== 'EXTERNAL_MANAGED') return problem(`forwarding rule ${front.rule.name} has loadBalancingScheme ${scheme ?? 'EXTERNAL'}: a LoadBalancer is a global external Application Load Balancer (EXTERNAL_MANAGED)`);
  if (!map.defaultService) return problem(`urlMap ${map.name} has no default backend service (a default redirect or route action)`);
  // Backend services -> their serverless NEG's Cloud Run service.
  const services = new Map<string, string>();
  const backendOf = new Map<string, ComputeResource>();
  const negOf = new Map<string, ComputeResource>();
  /** The Cloud Run service a backend service's (first) serverless NEG serves. */
  const negFor = (bs: ComputeResource) => {
    const neg = c.negs.get(relPath(bs.backends?.[0]?.group));
    return neg?.networkEndpointType === 'SERVERLESS' && neg.cloudRun?.service ? neg : undefined;
  };
  const links = [map.defaultService, ...(map.pathMatchers ?? []).flatMap((pm) => [pm.defaultService, ...(pm.pathRules ?? []).map((r) => r.service)])].filter((l): l is string => !!l);
  for (const link of links) {
    const bs = byName(c.backendService, link);
    if (!link.includes('/backendServices/') || !bs) return problem(`urlMap ${map.name} routes to ${relPath(link)}, which is not a backend service (a backend bucket?)`);
    if (marked(bs)) return problem(`backendService ${bs.name} is managed by runctl (${markerOf(bs).lb ?? '?'}) but urlMap ${map.name} is not`);
    const neg = negFor(bs);
    const name = neg?.cloudRun?.service;
    if (!neg || !name) return problem(`backendService ${bs.name} has no serverless NEG of a Cloud Run service as its backend (instance groups, a URL mask, App Engine or Cloud Functions)`);
    const other = backendOf.get(name);
    if (other && other.name !== bs.name) return problem(`Cloud Run service ${name} is behind two backend services (${other.name}, ${bs.name}): a LoadBalancer has one per Service`);
    services.set(bs.name!, name);
    backendOf.set(name, bs);
    negOf.set(name, neg);
  }
  for (const bs of [...backendOf.values()]) unexpressed.push(...backendExtras(bs));
  for (const [name, neg] of negOf) if (neg.cloudRun?.tag) unexpressed.push(`networkEndpointGroup ${neg.name}: cloudRun.tag ${neg.cloudRun.tag} (Service ${name}'s tagged revision)`);
  unexpressed.push(...urlMapExtras(map));
  const routing = routesOfUrlMap(map, (link) => services.get(lastSegment(link)));
  const defaultService = routing.defaultService!;

  // HTTPS: the proxy's managed certificates give the domains.
  const spec: LbSpec = { defaultService, httpsRedirect: false, staticIp: false };
  const routes = normalizeRoutes(routing.routes, defaultService);
  if (routes) spec.routes = routes;
  const parts: LoadBalancerParts = { urlMap: map.name! };
  const tokens: string[] = [`urlMap/${map.name}=${map.fingerprint}`];
  const labelled: ComputeResource[] = [];
  let address: ComputeResource | undefined;
  const addressOf = (rule: ComputeResource) => c.address.find((a) => a.address === rule.IPAddress && !marked(a));
  const hs = httpsFronts[0];
  if (hs) {
    const certs = (hs.proxy.sslCertificates ?? []).map((l) => byName(c.sslCertificate, l)).filter((x): x is ComputeResource => !!x);
    const domains = [...new Set(certs.flatMap((x) => x.managed?.domains ?? []).map((d) => d.replace(/\.$/, '')))].sort();
    if (!domains.length) return problem(`targetHttpsProxy ${hs.proxy.name} serves no Google-managed certificate (only self-managed ones or a certificate map): spec.domains stands for managed certificates`);
    for (const x of certs) if (x.type === 'SELF_MANAGED') unexpressed.push(`sslCertificate ${x.name}: a self-managed certificate (kept attached while the managed ones cover spec.domains)`);
    if (hs.proxy.certificateMap) unexpressed.push(`targetHttpsProxy ${hs.proxy.name}: certificateMap`);
    if (hs.proxy.sslPolicy) unexpressed.push(`targetHttpsProxy ${hs.proxy.name}: sslPolicy ${lastSegment(hs.proxy.sslPolicy)}`);
    if (hs.proxy.quicOverride && hs.proxy.quicOverride !== 'NONE') unexpressed.push(`targetHttpsProxy ${hs.proxy.name}: quicOverride ${hs.proxy.quicOverride}`);
    spec.domains = domains;
    parts.certificates = certs.map((x) => x.name!);
    parts.httpsProxy = hs.proxy.name!;
    parts.httpsForwardingRule = hs.rule.name!;
    labelled.push(hs.rule);
    tokens.push(`targetHttpsProxy/${hs.proxy.name}=${hs.proxy.fingerprint}`, `forwardingRule/${hs.rule.name}=${hs.rule.fingerprint}/${hs.rule.labelFingerprint}`);
    for (const x of certs) tokens.push(`sslCertificate/${x.name}=${x.id}`);
    for (const f of httpsFronts.slice(1)) unexpressed.push(`forwardingRule ${f.rule.name}: a second HTTPS forwarding rule (IP ${f.rule.IPAddress})`);
    for (const f of httpFronts) unexpressed.push(`forwardingRule ${f.rule.name}: plain HTTP on the same URL map besides HTTPS (a LoadBalancer with domains serves HTTP only as a redirect)`);
    address = addressOf(hs.rule);
    // The redirect: an HTTP rule on the same reserved address whose map only redirects to HTTPS.
    const redirect = redirects.find((r) => r.rule.IPAddress === hs.rule.IPAddress);
    if (redirect) {
      const code = redirect.map.defaultUrlRedirect?.redirectResponseCode ?? 'MOVED_PERMANENTLY_DEFAULT';
      if (!address) unexpressed.push(`forwardingRule ${redirect.rule.name}: an HTTP-to-HTTPS redirect on an ephemeral IP (httpsRedirect needs staticIp)`);
      else if (!redirect.map.defaultUrlRedirect?.httpsRedirect || code !== 'MOVED_PERMANENTLY_DEFAULT' || redirect.rule.loadBalancingScheme !== 'EXTERNAL_MANAGED' || redirect.rule.portRange !== '80-80') {
        unexpressed.push(`forwardingRule ${redirect.rule.name}: a redirect other than HTTPS with 301 on port 80 (redirectResponseCode ${code}, ports ${redirect.rule.portRange})`);
      } else {
        spec.httpsRedirect = true;
        parts.redirectUrlMap = redirect.map.name!;
        parts.httpProxy = redirect.proxy.name!;
        parts.httpForwardingRule = redirect.rule.name!;
        labelled.push(redirect.rule);
        tokens.push(`urlMap/${redirect.map.name}=${redirect.map.fingerprint}`, `targetHttpProxy/${redirect.proxy.name}=${redirect.proxy.fingerprint}`, `forwardingRule/${redirect.rule.name}=${redirect.rule.fingerprint}/${redirect.rule.labelFingerprint}`);
      }
    }
  } else {
    const hp = httpFronts[0];
    parts.httpProxy = hp.proxy.name!;
    parts.httpForwardingRule = hp.rule.name!;
    labelled.push(hp.rule);
    tokens.push(`targetHttpProxy/${hp.proxy.name}=${hp.proxy.fingerprint}`, `forwardingRule/${hp.rule.name}=${hp.rule.fingerprint}/${hp.rule.labelFingerprint}`);
    for (const f of httpFronts.slice(1)) unexpressed.push(`forwardingRule ${f.rule.name}: a second HTTP forwarding rule (IP ${f.rule.IPAddress})`);
    address = addressOf(hp.rule);
  }
  if (address) {
    spec.staticIp = true;
    parts.address = address.name!;
    labelled.push(address);
    tokens.push(`address/${address.name}=${address.labelFingerprint}`);
  }
  const name = lbNameOf(map.name!, taken);
  const serviceList = [...negOf].map(([s, neg]) => ({ name: s, region: neg.region ? lastSegment(neg.region) : regionOf(neg.selfLink) ?? '' })).sort((a, b) => a.name.localeCompare(b.name));
  for (const [s, bs] of backendOf) {
    tokens.push(`backendService/${bs.name}=${bs.fingerprint}`, `networkEndpointGroup/${negOf.get(s)!.name}=${negOf.get(s)!.id}`);
    parts.backendServices = { ...parts.backendServices, [s]: bs.name! };
    parts.networkEndpointGroups = { ...parts.networkEndpointGroups, [s]: negOf.get(s)!.name! };
  }
  const { labels, rest } = commonLabels(labelled);
  unexpressed.push(...rest.map((r) => `${r} (labels the other parts do not carry)`));
  spec.parts = pinnedOnly(parts, name);
  return { name, spec, labels, unexpressed, services: serviceList, tokens: tokens.sort() };
}

/** Leave out of `parts` the names runctl's scheme would give anyway. */
function pinnedOnly(parts: LoadBalancerParts, lb: string): LoadBalancerParts | undefined {
  const n = lbNames(lb);
  const out: LoadBalancerParts = { ...parts };
  const same: Array<[keyof LoadBalancerParts, string]> = [
    ['urlMap', n.urlMap], ['redirectUrlMap', n.redirect], ['httpsProxy', n.httpsProxy], ['httpProxy', n.httpProxy],
    ['address', n.ip], ['httpsForwardingRule', n.httpsRule], ['httpForwardingRule', n.httpRule],
  ];
  for (const [k, v] of same) if (out[k] === v) delete out[k];
  if (out.certificates?.every((x) => x.startsWith(`${lb}-cert-`))) delete out.certificates;
  for (const key of ['backendServices', 'networkEndpointGroups'] as const) {
    const scheme = key === 'backendServices' ? n.backend : n.neg;
    const kept = Object.fromEntries(Object.entries(out[key] ?? {}).filter(([s, v]) => v !== scheme(s)));
    if (Object.keys(kept).length) out[key] = kept;
    else delete out[key];
  }
  return Object.keys(out).length ? out : undefined;
}
