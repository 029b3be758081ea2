/**
 * Deterministic names of a LoadBalancer's sub-resources, derived from its name, so a
 * re-run after a failure finds (and adopts) what an earlier run created instead of
 * making duplicates; and the ownership marker written into `description` (most Compute
 * resources here have no labels).
 */
import type { LoadBalancerParts } from '../generated/manifests';
import { digest } from '../shared/digest';
import { fitName } from './compute-ops';

/** The Compute collections a load balancer is made of, in creation order. */
export const SUB_KINDS = [
  'networkEndpointGroup',
  'backendService',
  'urlMap',
  'sslCertificate',
  'targetHttpsProxy',
  'targetHttpProxy',
  'address',
  'forwardingRule',
] as const;
export type SubKind = (typeof SUB_KINDS)[number];

/** Creation rank: NEG → backend service → URL map → certificate → proxies → address → forwarding rules. */
export const RANK: Record<SubKind, number> = {
  networkEndpointGroup: 0,
  backendService: 1,
  urlMap: 2,
  sslCertificate: 3,
  targetHttpsProxy: 4,
  targetHttpProxy: 4,
  address: 5,
  forwardingRule: 6,
};

/** Kinds that carry labels in the v1 API (everything else is marked in `description`). */
export const LABELLED: ReadonlySet<SubKind> = new Set<SubKind>(['address', 'forwardingRule']);

/** Label naming the load balancer on labelled sub-resources. */
export const LABEL_LB = 'runctl-lb';

/** Names of every sub-resource of load balancer `lb`. */
export function lbNames(lb: string) {
  return {
    neg: (service: string) => fitName(`${lb}-neg-${service}`),
    backend: (service: string) => fitName(`${lb}-bs-${service}`),
    urlMap: `${lb}-urlmap`,
    cert: (domains: string[]) => `${lb}-cert-${digest([...domains].sort().join(','))}`,
    httpsProxy: `${lb}-https-proxy`,
    httpProxy: `${lb}-http-proxy`,
    redirect: `${lb}-redirect`,
    ip: `${lb}-ip`,
    httpsRule: `${lb}-https-fr`,
    httpRule: `${lb}-http-fr`,
  };
}

/** The names of a load balancer's sub-resources: runctl's scheme (`lbNames`) or the ones `spec.parts` pins. */
export type PartNames = ReturnType<typeof lbNames> & {
  /** Certificates pinned by `spec.parts.certificates` (used while they cover the domains). */
  certificates?: string[];
};

/**
 * The names of load balancer `lb`'s sub-resources, `spec.parts` winning over runctl's
 * scheme: a load balancer made outside runctl keeps the names it was made with.
 */
export function partNames(lb: string, parts: LoadBalancerParts | undefined): PartNames {
  const n = lbNames(lb);
  if (!parts) return n;
  return {
    neg: (service: string) => parts.networkEndpointGroups?.[service] ?? n.neg(service),
    backend: (service: string) => parts.backendServices?.[service] ?? n.backend(service),
    urlMap: parts.urlMap ?? n.urlMap,
    cert: n.cert,
    httpsProxy: parts.httpsProxy ?? n.httpsProxy,
    httpProxy: parts.httpProxy ?? n.httpProxy,
    redirect: parts.redirectUrlMap ?? n.redirect,
    ip: parts.address ?? n.ip,
    httpsRule: parts.httpsForwardingRule ?? n.httpsRule,
    httpRule: parts.httpForwardingRule ?? n.httpRule,
    ...(parts.certificates?.length ? { certificates: [...parts.certificates] } : {}),
  };
}

/** Path matcher name for a host (`*` = every host no other rule names). */
export function matcherName(host: string): string {
  if (host === '*') return 'any-host';
  const plain = `host-${host.replace(/^\*\./, 'any-').replace(/[^a-z0-9]+/g, '-')}`.replace(/-+$/, '');
  return plain.length <= 63 ? plain : `host-${digest(host, 16)}`;
}

/** Who owns a sub-resource, as read from its labels or description. */
export interface Marker {
  managedBy?: string;
  set?: string;
  lb?: string;
}

/** `managed-by=runctl runctl-set=<set> lb=<name>`. */
export function describeOwner(set: string, lb: string): string {
  return `managed-by=runctl runctl-set=${set} lb=${lb}`;
}

/** Read the marker from labels (labelled kinds) or the description. */
export function markerOf(raw: { description?: string | null; labels?: Record<string, string> | null }): Marker {
  const labels = raw.labels ?? {};
  if (labels['managed-by']) return { managedBy: labels['managed-by'], set: labels['runctl-set'], lb: labels[LABEL_LB] };
  const out: Marker = {};
  for (const token of (raw.description ?? '').split(/\s+/)) {
    const [k, v] = token.split('=');
    if (k === 'managed-by') out.managedBy = v;
    else if (k === 'runctl-set') out.set = v;
    else if (k === 'lb') out.lb = v;
  }
  return out;
}

/** Whether the marker says load balancer `lb` of set `set` owns the resource. */
export function ownedMarker(m: Marker, set: string, lb: string): boolean {
  return m.managedBy === 'runctl' && m.set === set && m.lb === lb;
}
