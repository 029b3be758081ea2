/**
 * Reading a LoadBalancer's live sub-resources: one list call per Compute collection
 * per project (per region for NEGs), memoised for the run and shared by every load
 * balancer in it. A sub-resource belongs to a load balancer when its ownership marker
 * (labels, or `description`) names it; one that merely has one of its names is foreign
 * and is reported, never touched. A NEG or certificate without a marker but used by an
 * owned backend service or HTTPS proxy is owned too (they cannot change description,
 * so that is how an adopted one stays adopted).
 */
import type { ObserveContext } from '../../src/engine/controller';
import { lastSegment, regionOf, relPath } from './compute-ops';
import type { ComputeResource, LiveModel, LiveSub } from './model';
import { markerOf, ownedMarker, SUB_KINDS, type SubKind } from './names';

/** The Compute client class of each collection. */
type CollectionClientName =
  | 'RegionNetworkEndpointGroupsClient'
  | 'BackendServicesClient'
  | 'UrlMapsClient'
  | 'SslCertificatesClient'
  | 'TargetHttpsProxiesClient'
  | 'TargetHttpProxiesClient'
  | 'GlobalAddressesClient'
  | 'GlobalForwardingRulesClient';

/** The client, list request and path parameter of each collection. */
export const API: Record<SubKind, { client: CollectionClientName; param: string; body: string; regional?: boolean }> = {
  networkEndpointGroup: { client: 'RegionNetworkEndpointGroupsClient', param: 'networkEndpointGroup', body: 'networkEndpointGroupResource', regional: true },
  backendService: { client: 'BackendServicesClient', param: 'backendService', body: 'backendServiceResource' },
  urlMap: { client: 'UrlMapsClient', param: 'urlMap', body: 'urlMapResource' },
  sslCertificate: { client: 'SslCertificatesClient', param: 'sslCertificate', body: 'sslCertificateResource' },
  targetHttpsProxy: { client: 'TargetHttpsProxiesClient', param: 'targetHttpsProxy', body: 'targetHttpsProxyResource' },
  targetHttpProxy: { client: 'TargetHttpProxiesClient', param: 'targetHttpProxy', body: 'targetHttpProxyResource' },
  address: { client: 'GlobalAddressesClient', param: 'address', body: 'addressResource' },
  forwardingRule: { client: 'GlobalForwardingRulesClient', param: 'forwardingRule', body: 'forwardingRuleResource' },
};

/**
 * The calls made on a collection's client, whichever collection it is. Each generated
 * client types its requests per method and collection (`IInsertUrlMapRequest`, ...);
 * requests here are built from `API` (path parameter and body key per kind), which those
 * types cannot follow, so a request is a plain record and a result is left `unknown`
 * except where it is read (`get` and `listAsync` give the resource). Not every
 * collection has every call (those are optional): the planned ops only use the ones
 * their kind has.
 */
export interface CollectionClient {
  get(request: Record<string, unknown>): Promise<[ComputeResource, ...unknown[]]>;
  listAsync(request: Record<string, unknown>, options: { autoPaginate: boolean }): AsyncIterable<ComputeResource>;
  insert(request: Record<string, unknown>): Promise<unknown>;
  delete(request: Record<string, unknown>): Promise<unknown>;
  patch?(request: Record<string, unknown>): Promise<unknown>;
  update?(request: Record<string, unknown>): Promise<unknown>;
  setUrlMap?(request: Record<string, unknown>): Promise<unknown>;
  setSslCertificates?(request: Record<string, unknown>): Promise<unknown>;
  setTarget?(request: Record<string, unknown>): Promise<unknown>;
  setLabels?(request: Record<string, unknown>): Promise<unknown>;
}

/** The client of one collection, seen through the calls `CollectionClient` names. */
export function collectionClient(ctx: ObserveContext, kind: SubKind): CollectionClient {
  return ctx.clients.compute(API[kind].client);
}

/** Every item of one collection in a project (and region). */
async function listAll(ctx: ObserveContext, kind: SubKind, project: string, region?: string): Promise<ComputeResource[]> {
  const client = collectionClient(ctx, kind);
  const out: ComputeResource[] = [];
  const req = region ? { project, region, maxResults: 500 } : { project, maxResults: 500 };
  for await (const item of client.listAsync(req, { autoPaginate: false })) out.push(item);
  return out;
}

/** A collection's items, memoised per run unless `fresh` (after writes). */
export function listed(ctx: ObserveContext, kind: SubKind, project: string, region: string | undefined, fresh: boolean): Promise<ComputeResource[]> {
  if (fresh) return listAll(ctx, kind, project, region);
  return ctx.cached(`compute.${kind}:${project}/${region ?? 'global'}`, () => listAll(ctx, kind, project, region));
}

export interface ScanInput {
  project: string;
  lb: string;
  set: string;
  /** `kind/region/name` of every sub-resource the spec wants (names that, if taken, are ours or foreign). */
  wanted: Set<string>;
  /** Regions to look for NEGs in (the backing Services' regions). */
  regions: string[];
  fresh?: boolean;
  /**
   * Claim every unmarked NEG and certificate an owned backend service or HTTPS proxy uses,
   * whatever its name (listing, where no spec names the parts: an adopted load balancer's
   * NEGs and certificates keep the names they were made with).
   */
  claimUsed?: boolean;
}

export const subKey = (kind: string, name: string, region?: string) => `${kind}/${region ?? ''}/${name}`;

/** The live sub-resources of one load balancer. */
export async function scanLive(ctx: ObserveContext, input: ScanInput): Promise<LiveModel> {
  const { project, lb, set, wanted } = input;
  const subs: LiveSub[] = [];
  const consider = (kind: SubKind, raw: ComputeResource, region?: string) => {
    // Every listed Compute resource has a name.
    const name = raw.name as string;
    const m = markerOf(raw);
    const owned = ownedMarker(m, set, lb);
    if (owned || wanted.has(subKey(kind, name, region))) subs.push({ kind, name, region, raw, owned });
  };
  const globals = SUB_KINDS.filter((k) => k !== 'networkEndpointGroup');
  const lists = await Promise.all(globals.map((k) => listed(ctx, k, project, undefined, !!input.fresh)));
  globals.forEach((k, i) => lists[i].forEach((raw) => consider(k, raw)));

  // NEGs: in the Services' regions and wherever owned backend services point.
  const groups = subs.filter((s) => s.kind === 'backendService' && s.owned).flatMap((s) => (s.raw.backends ?? []).map((b) => relPath(b.group)));
  const regions = [...new Set([...input.regions, ...groups.map(regionOf).filter((r): r is string => !!r)])].sort();
  const negLists = await Promise.all(regions.map((r) => listed(ctx, 'networkEndpointGroup', project, r, !!input.fresh)));
  regions.forEach((r, i) => negLists[i].forEach((raw) => consider('networkEndpointGroup', raw, r)));

  // Owned by reference: used by an owned parent and named like this load balancer's.
  const usedGroups = new Set(groups);
  const usedCerts = new Set(
    subs.filter((s) => s.kind === 'targetHttpsProxy' && s.owned).flatMap((s) => ((s.raw.sslCertificates ?? []) as string[]).map(lastSegment)),
  );
  // Unmarked NEGs and certificates an owned parent uses, when listing (named only there).
  if (input.claimUsed) {
    for (const r of regions) {
      for (const raw of negLists[regions.indexOf(r)]) {
        const name = raw.name as string;
        if (!markerOf(raw).managedBy && usedGroups.has(`projects/${project}/regions/${r}/networkEndpointGroups/${name}`) && !subs.some((s) => s.kind === 'networkEndpointGroup' && s.name === name && s.region === r)) {
          subs.push({ kind: 'networkEndpointGroup', name, region: r, raw, owned: false });
        }
      }
    }
    for (const raw of lists[globals.indexOf('sslCertificate')]) {
      if (!markerOf(raw).managedBy && usedCerts.has(raw.name as string) && !subs.some((s) => s.kind === 'sslCertificate' && s.name === raw.name)) subs.push({ kind: 'sslCertificate', name: raw.name as string, raw, owned: false });
    }
  }
  for (const s of subs) {
    // Named by runctl's scheme, pinned by the spec (`wanted`), or (listing) simply in use.
    const named = s.name.startsWith(`${lb}-`) || wanted.has(subKey(s.kind, s.name, s.region)) || !!input.claimUsed;
    if (s.owned || !named || markerOf(s.raw).managedBy) continue;
    if (s.kind === 'networkEndpointGroup' && usedGroups.has(`projects/${project}/regions/${s.region}/networkEndpointGroups/${s.name}`)) s.owned = true;
    if (s.kind === 'sslCertificate' && usedCerts.has(s.name)) s.owned = true;
  }
  return { subs };
}
