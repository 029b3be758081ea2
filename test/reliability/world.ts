/**
 * Helpers for the reliability tests: a fleet of mixed kinds, and an inventory of
 * everything live in a project — read through the real Google clients — so two worlds
 * can be compared resource by resource (duplicates and orphans show up as differences).
 */
import type { Clients } from '../../src/gcp/clients';

export const PROJECT = 'local-project';
export const REGION = 'europe-north1';

const doc = (kind: string, name: string, spec: Record<string, unknown>, labels: Record<string, string> = { suite: 'reliability' }) =>
  JSON.stringify({ apiVersion: 'runctl.dev/v1alpha1', kind, metadata: { name, labels }, spec });

export interface Fleet {
  services: string[];
  volumes: string[];
  buckets: string[];
  loadBalancers: string[];
  /** Every document, `---`-joined. */
  yaml: string;
}

/**
 * `services` Services, `volumes` Volumes (each a bucket runctl creates, mounted by one
 * Service) and `lbs` LoadBalancers (each in front of one Service; some with a domain,
 * a certificate and an HTTPS redirect, some with a static IP).
 */
export function mixedFleet(o: { services: number; volumes: number; lbs: number; prefix?: string }): Fleet {
  const p = o.prefix ?? 'r';
  const services = Array.from({ length: o.services }, (_, i) => `${p}-app-${i}`);
  const volumes = Array.from({ length: o.volumes }, (_, i) => `${p}-vol-${i}`);
  const buckets = volumes.map((v) => `${PROJECT}-${v}`);
  const loadBalancers = Array.from({ length: o.lbs }, (_, i) => `${p}-lb-${i}`);
  const docs: string[] = [];
  services.forEach((name, i) => {
    const spec: Record<string, unknown> = { region: REGION, image: `${REGION}-docker.pkg.dev/${PROJECT}/apps/${name}:1`, ingress: 'all' };
    if (i < volumes.length) spec.volumes = [{ volume: volumes[i], mountPath: '/data' }];
    if (i % 10 === 5) spec.public = true;
    docs.push(doc('Service', name, spec));
  });
  volumes.forEach((name, i) => docs.push(doc('Volume', name, { gcs: { bucket: buckets[i], create: true, location: 'EU' } })));
  loadBalancers.forEach((name, i) => {
    const spec: Record<string, unknown> = { defaultService: services[(volumes.length + i) % services.length] };
    if (i % 3 === 0) Object.assign(spec, { domains: [`${name}.example.com`], httpsRedirect: true, staticIp: true });
    else if (i % 2 === 0) spec.staticIp = true;
    docs.push(doc('LoadBalancer', name, spec));
  });
  return { services, volumes, buckets, loadBalancers, yaml: docs.join('\n---\n') + '\n' };
}

/** Compute collections a load balancer is made of (client, regional?). */
const COMPUTE: Array<[string, string, boolean]> = [
  ['negs', 'RegionNetworkEndpointGroupsClient', true],
  ['backendServices', 'BackendServicesClient', false],
  ['urlMaps', 'UrlMapsClient', false],
  ['sslCertificates', 'SslCertificatesClient', false],
  ['httpsProxies', 'TargetHttpsProxiesClient', false],
  ['httpProxies', 'TargetHttpProxiesClient', false],
  ['addresses', 'GlobalAddressesClient', false],
  ['forwardingRules', 'GlobalForwardingRulesClient', false],
];

async function all<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

/** Everything live in the project: names by collection (sorted, duplicates kept), revisions per service. */
export async function inventory(clients: Clients, region = REGION): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  const parent = `projects/${PROJECT}/locations/${region}`;
  const services = await all(clients.runServices().listServicesAsync({ parent, pageSize: 1000 }, { autoPaginate: false }));
  out.services = services.map((s: any) => String(s.name).split('/').pop()!).sort();
  // One line per service: whether it serves from a ready revision. (Revision counts may
  // differ: a revision whose operation failed for a platform reason is redeployed.)
  out.ready = services.map((s: any) => `${String(s.name).split('/').pop()}:${s.terminalCondition?.state === 'CONDITION_SUCCEEDED' && !!s.latestReadyRevision && s.latestReadyRevision === s.latestCreatedRevision}`).sort();
  const [buckets] = await clients.storage().getBuckets();
  out.buckets = buckets.map((b) => b.name).sort();
  for (const [key, client, regional] of COMPUTE) {
    const req = regional ? { project: PROJECT, region } : { project: PROJECT };
    const items = await all((clients.compute(client as any) as any).listAsync(req, { autoPaginate: false }));
    out[key] = (items as any[]).map((x) => String(x.name)).sort();
  }
  return out;
}
