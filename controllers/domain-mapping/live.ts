/**
 * Reading Cloud Run v1 domain mappings: one list per project and region (the regional
 * endpoint), their manifest form, status and the DNS records people must create.
 */
import type { run_v1 } from '@googleapis/run';
import type { ObserveContext, ResourceStatus } from '../../src/engine/controller';

export type Mapping = run_v1.Schema$DomainMapping;
type Condition = run_v1.Schema$GoogleCloudRunV1Condition;

/** The manifest form a mapping is compared in. */
export type MappingForm = {
  region: string;
  service: string;
  certificateMode: 'automatic' | 'none';
};

/**
 * The regions that offer domain mappings (cloud.google.com/run/docs/mapping-custom-domains,
 * "Limitations"). Used for plan notes and for listing when no region is given; the API
 * stays the judge of a create.
 */
export const MAPPING_REGIONS: readonly string[] = [
  'asia-east1', 'asia-northeast1', 'asia-southeast1', 'europe-north1', 'europe-west1',
  'europe-west4', 'us-central1', 'us-east1', 'us-east4', 'us-west1',
];

/** The label Cloud Run adds to v1 objects: not the manifest's. */
const SERVER_LABELS = ['cloud.googleapis.com/location'];

/** Every mapping of a project in a region, by domain, once per run. */
export async function listMappings(ctx: ObserveContext, project: string, region: string): Promise<Map<string, Mapping>> {
  return ctx.cached(`run.domainmappings:${project}/${region}`, async () => {
    const out = new Map<string, Mapping>();
    let token: string | undefined;
    do {
      const { data } = await ctx.clients.runDomainMappings(region).list({ parent: `namespaces/${project}`, ...(token ? { continue: token } : {}) });
      for (const m of data.items ?? []) if (m.metadata?.name) out.set(m.metadata.name, m);
      token = data.metadata?.continue ?? undefined;
    } while (token);
    return out;
  });
}

/** A live mapping's labels without the ones Cloud Run adds. */
export function labelsOf(m: Mapping): Record<string, string> {
  const out = { ...(m.metadata?.labels ?? {}) };
  for (const k of SERVER_LABELS) delete out[k];
  return out;
}

/** A live mapping in manifest form. */
export function formOf(m: Mapping, region: string): MappingForm {
  return { region, service: m.spec?.routeName ?? '', certificateMode: m.spec?.certificateMode === 'NONE' ? 'none' : 'automatic' };
}

const condition = (m: Mapping, type: string): Condition | undefined => m.status?.conditions?.find((c) => c.type === type);

/** The DNS records as `NAME TYPE DATA` lines (the full name: the API gives it relative to the apex). */
export function dnsLines(m: Mapping): string[] {
  const domain = m.metadata?.name ?? '';
  return (m.status?.resourceRecords ?? []).map((r) => `${domain} ${r.type} ${r.rrdata}`);
}

/** runctl's status of a mapping: Ready from its conditions, the records as fields and notes. */
export function statusOf(m: Mapping, region: string): ResourceStatus {
  const ready = condition(m, 'Ready');
  const cert = condition(m, 'CertificateProvisioned');
  const routable = condition(m, 'DomainRoutable');
  const domain = m.metadata?.name ?? '';
  const records = (m.status?.resourceRecords ?? []).map((r) => ({ ...(r.name ? { name: r.name } : {}), type: r.type, rrdata: r.rrdata }));
  const certificate = m.spec?.certificateMode === 'NONE' ? 'none' : cert?.status === 'True' ? 'provisioned' : cert?.status === 'False' ? 'failed' : 'pending';
  const fields = { domain, region, service: m.status?.mappedRouteName ?? m.spec?.routeName, url: `${certificate === 'none' ? 'http' : 'https'}://${domain}`, resourceRecords: records, certificate };
  const notes = records.length ? [`DNS records to create for ${domain}:`, ...dnsLines(m).map((l) => `  ${l}`)] : [];
  if (records.length && certificate === 'pending') notes.push('  (the certificate is provisioned once these records resolve: minutes, up to hours)');
  let st: ResourceStatus['ready'];
  if (ready?.status === 'True') st = { status: 'True', reason: 'Available' };
  else if (ready?.status === 'False') st = { status: 'False', reason: 'Unavailable', message: ready.message ?? ready.reason ?? undefined };
  // Routable but waiting for DNS: done as far as runctl can take it (the rest is the user's DNS).
  else if (routable?.status === 'True') st = { status: 'True', reason: 'Available', message: 'certificate pending: create the DNS records' };
  else st = { status: 'Unknown', reason: 'Creating' };
  return { fields, ready: st, notes };
}
