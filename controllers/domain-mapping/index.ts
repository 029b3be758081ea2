/**
 * DomainMapping: a Cloud Run custom domain mapping (Admin API v1 `namespaces.domainmappings`
 * on the regional endpoint; the v2 API has none) from the domain in `metadata.name` to a
 * Service of the set. The v1 API has no update: any change (service, certificate mode,
 * labels, adoption) deletes and re-creates the mapping. `status` lists the DNS records to
 * create, which `apply` and `get` print.
 */
import type { Controller, Identity, LiveResource, Observed, PlanContext, ResourcePlan, Scope } from '../../src/engine/controller';
import { diffDeclared } from '../../src/engine/diff';
import { locationOf, projectOf } from '../../src/engine/location';
import { RunctlError, type Diagnostic, type Manifest } from '../../src/engine/types';
import { apiError, ignoringNotFound, isNotFound } from '../../src/gcp/errors';
import { GrpcCode } from '../../src/util/grpc-codes';
import type { DomainMappingSpec } from '../generated/manifests';
import { formOf, labelsOf, listMappings, MAPPING_REGIONS, statusOf, type Mapping, type MappingForm } from './live';

const KIND = 'DomainMapping';
const RECREATE = 'a domain mapping cannot be changed in place (the v1 API has no update): runctl deletes and re-creates it; the DNS records stay the same, the certificate is provisioned again (HTTPS fails for minutes to hours)';
const LIMITED = `domain mappings are a Cloud Run preview feature available only in ${MAPPING_REGIONS.join(', ')}; a LoadBalancer (kind LoadBalancer with domains) is the general path, in every region`;

type MappingObserved = Observed<Mapping, MappingForm>;

/** Project and region: the manifest's, else the Service's (a mapping lives with its route). */
function where(m: Manifest<DomainMappingSpec>, ctx: PlanContext): { project: string; region: string } {
  const svc = locationOf(`Service/${m.spec.service}`, ctx);
  return { project: projectOf(m, ctx.target, svc.explicitProject), region: typeof m.spec.region === 'string' ? m.spec.region : svc.region };
}

function observed(m: Mapping, region: string): MappingObserved {
  return { exists: true, spec: formOf(m, region), labels: labelsOf(m), etag: m.metadata?.resourceVersion ?? undefined, raw: m, status: statusOf(m, region) };
}

/** A create the API refused because the region has no domain mappings, explained. */
function explain(err: unknown, domain: string): unknown {
  const info = apiError(err);
  if (info.code !== GrpcCode.UNIMPLEMENTED) return err;
  return new RunctlError('InvalidValue', `${info.message} Cloud Run ${LIMITED}. Move the Service to one of those regions, or serve ${domain} through a LoadBalancer (spec.domains: [${domain}]).`, { cause: err, source: 'user' });
}

/**
 * What the Service's manifest says about who can reach it through the domain: a mapping
 * carries internet traffic, which an internal ingress refuses, and callers need
 * run.invoker unless the service is public.
 */
function reachability(m: Manifest<DomainMappingSpec>, ctx: PlanContext): string[] {
  const svc = ctx.manifestOf(`Service/${m.spec.service}`)?.spec as { ingress?: string; public?: boolean; invokerIamCheck?: boolean } | undefined;
  if (!svc) return [];
  const out: string[] = [];
  if (svc.ingress && svc.ingress !== 'all') {
    out.push(`Service/${m.spec.service} has ingress ${svc.ingress}: requests to ${m.metadata.name} come from the internet, and Cloud Run refuses them until ingress is all (internal callers use the service's own URL)`);
  }
  if (!svc.public && svc.invokerIamCheck !== false) {
    out.push(`Service/${m.spec.service} is not public: callers of ${m.metadata.name} need roles/run.invoker and an identity token (public: true, or invokerIamCheck: false, opens it)`);
  }
  return out;
}

export const domainMappingController: Controller<DomainMappingSpec, Mapping, MappingForm> = {
  kind: KIND,
  schema: 'domain-mapping.schema.json',
  regional: true,
  // The v1 API has no update: adopting a matching mapping must not re-create it.
  labelsInPlace: false,
  replaceOn: [
    { path: 'spec.service', note: RECREATE },
    { path: 'spec.certificateMode', note: RECREATE },
  ],

  validate(m, all): Diagnostic[] {
    const svc = all.find((x) => x.kind === 'Service' && x.metadata.name === m.spec?.service);
    const a = m.spec?.region;
    const b = (svc?.spec as { region?: unknown } | undefined)?.region;
    if (typeof a === 'string' && typeof b === 'string' && a !== b) {
      return [{ code: 'InvalidValue', path: 'spec.region', message: `the mapping must be in its Service's region: Service/${m.spec.service} is in ${b}, not ${a} (or leave region out to follow the Service)` }];
    }
    return [];
  },

  identify(m, ctx): Identity {
    const { project, region } = where(m, ctx);
    return { project, region, name: m.metadata.name, fullName: `projects/${project}/locations/${region}/domainmappings/${m.metadata.name}` };
  },

  async observe({ id }, ctx) {
    const live = (await listMappings(ctx, id.project, id.region!)).get(id.name);
    return live ? observed(live, id.region!) : { exists: false };
  },

  desired({ manifest: m, id }) {
    return { region: id.region!, service: m.spec.service, certificateMode: m.spec.certificateMode ?? 'automatic' };
  },

  plan({ manifest: m, id, desired, observed: obs }, ctx): ResourcePlan {
    const notes = [LIMITED, ...reachability(m, ctx)];
    if (!MAPPING_REGIONS.includes(id.region!)) notes.unshift(`${id.region} is not among the regions known to offer domain mappings: Cloud Run will likely refuse it`);
    if (!obs.exists) return { action: 'create', changes: diffDeclared(desired, {}).changes, notes: [...notes, 'the DNS records to create are printed once the mapping exists'] };
    const { changes } = diffDeclared(desired, obs.spec);
    // Labels (ownership, adoption) cannot change in place either: the engine lists their
    // changes; this plan makes them a re-creation.
    const labels = diffDeclared(m.metadata.labels ?? {}, obs.labels ?? {}).changes;
    if (changes.length || labels.length) return { action: 'replace', changes, notes: [RECREATE, ...notes] };
    return { action: 'noop', changes: [], notes: [] };
  },

  async apply({ manifest: m, id, desired, observed: obs, plan }, ctx) {
    const dm = ctx.clients.runDomainMappings(id.region!);
    const name = `namespaces/${id.project}/domainmappings/${id.name}`;
    if (plan.action === 'noop') return obs;
    if (plan.action !== 'create' && obs.exists) {
      ctx.progress('deleting the domain mapping to re-create it');
      await ignoringNotFound(async () => {
        await dm.delete({ name });
      });
    }
    ctx.progress(`mapping ${id.name} to Service/${desired.service}`);
    const labels = { ...(m.metadata.labels ?? {}) };
    let created: Mapping;
    try {
      ({ data: created } = await dm.create({
        parent: `namespaces/${id.project}`,
        requestBody: {
          apiVersion: 'domains.cloudrun.com/v1',
          kind: 'DomainMapping',
          metadata: { name: id.name, namespace: id.project, labels },
          spec: { routeName: desired.service, certificateMode: desired.certificateMode === 'none' ? 'NONE' : 'AUTOMATIC' },
        },
      }));
    } catch (err) {
      throw explain(err, id.name);
    }
    const out = observed(created, id.region!);
    // Cloud Run accepts the mapping and fails it afterwards (unverified domain, missing route).
    if (out.status?.ready?.status === 'False') {
      throw new RunctlError('InvalidValue', `the mapping was created but is not ready: ${out.status.ready.message ?? 'Ready False'}`, { source: 'user' });
    }
    return out;
  },

  async delete({ id }, ctx) {
    ctx.progress('deleting the domain mapping');
    try {
      await ctx.clients.runDomainMappings(id.region!).delete({ name: `namespaces/${id.project}/domainmappings/${id.name}` });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  },

  async list(scopes: Scope[], ctx): Promise<LiveResource[]> {
    const out: LiveResource[] = [];
    const seen = new Set<string>();
    for (const scope of scopes) {
      for (const region of scope.region ? [scope.region] : MAPPING_REGIONS) {
        if (seen.has(`${scope.project}/${region}`)) continue;
        seen.add(`${scope.project}/${region}`);
        for (const m of (await listMappings(ctx, scope.project, region)).values()) {
          const o = observed(m, region);
          const name = m.metadata?.name ?? '';
          out.push({
            kind: KIND,
            name,
            identity: { project: scope.project, region, name, fullName: `projects/${scope.project}/locations/${region}/domainmappings/${name}` },
            labels: o.labels ?? {},
            etag: o.etag,
            spec: { ...o.spec },
            status: o.status,
          });
        }
      }
    }
    return out;
  },

  async exportSpec(r, _ctx, opts) {
    const { certificateMode, ...rest } = r.spec as MappingForm;
    const service = typeof rest.service === 'string' ? rest.service : undefined;
    // A mapping's manifest needs its Service in the set: exported alone, it brings it along.
    const related = service && !opts?.exported.some((x) => x.kind === 'Service' && x.name === service) ? [{ kind: 'Service', name: service, spec: {}, listedOnly: true }] : [];
    return { spec: { ...rest, ...(certificateMode === 'none' ? { certificateMode } : {}) }, related };
  },
};
