/**
 * Load balancers made outside runctl, read from one project's Compute collections (the
 * run's memoised list calls, shared with every other load balancer) and recognised by
 * `recognise.ts`, with the status `get` shows for them.
 */
import type { ObserveContext, ResourceStatus } from '../../src/engine/controller';
import { relPath, regionOf } from './compute-ops';
import type { LiveModel, LiveSub } from './live';
import { partNames, SUB_KINDS, type SubKind } from './names';
import { listed } from './observe';
import { recognise, type Collections, type Problem, type Recognised } from './recognise';
import { lbStatusOf } from './status';

/** A recognised chain with its status. */
export type ForeignChain = Recognised & { status: ResourceStatus };

/** Every collection a chain can be made of, NEGs in the regions backend services point at. */
async function collections(ctx: ObserveContext, project: string): Promise<Collections> {
  const globals = SUB_KINDS.filter((k): k is Exclude<SubKind, 'networkEndpointGroup'> => k !== 'networkEndpointGroup');
  const lists = await Promise.all(globals.map((k) => listed(ctx, k, project, undefined, false)));
  const c = Object.fromEntries(globals.map((k, i) => [k, lists[i]])) as Omit<Collections, 'negs'>;
  const groups = c.backendService.flatMap((bs) => (bs.backends ?? []).map((b) => relPath(b.group)));
  const regions = [...new Set(groups.map(regionOf).filter((r): r is string => !!r))].sort();
  const negs = new Map<string, Collections['backendService'][number]>();
  for (const r of regions) {
    for (const neg of await listed(ctx, 'networkEndpointGroup', project, r, false)) negs.set(`projects/${project}/regions/${r}/networkEndpointGroups/${neg.name}`, neg);
  }
  return { ...c, negs };
}

/** The chains of a project not made by runctl, and those no LoadBalancer can stand for. */
export async function foreignChains(ctx: ObserveContext, project: string, taken: Set<string>): Promise<{ chains: ForeignChain[]; problems: Problem[] }> {
  const c = await collections(ctx, project);
  const { chains, problems } = recognise(c, new Set(taken));
  return { chains: chains.map((x) => ({ ...x, status: lbStatusOf(modelOf(c, x), partNames(x.name, x.spec.parts)) })), problems };
}

/** A recognised chain's parts as a live model (none of them owned). */
function modelOf(c: Collections, chain: Recognised): LiveModel {
  const n = partNames(chain.name, chain.spec.parts);
  const subs: LiveSub[] = [];
  const add = (kind: SubKind, list: Collections['urlMap'], name: string) => {
    const raw = list.find((x) => x.name === name);
    if (raw) subs.push({ kind, name, raw, owned: false });
  };
  add('forwardingRule', c.forwardingRule, n.httpsRule);
  add('forwardingRule', c.forwardingRule, n.httpRule);
  add('address', c.address, n.ip);
  add('targetHttpsProxy', c.targetHttpsProxy, n.httpsProxy);
  for (const cert of n.certificates ?? []) add('sslCertificate', c.sslCertificate, cert);
  return { subs };
}
