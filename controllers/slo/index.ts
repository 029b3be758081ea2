/**
 * Slo: a Cloud Monitoring service level objective for a Service of the set, and what it
 * needs around it: the monitored service for the Cloud Run service (a `cloudRun` basic
 * service), the SLO (request-based availability from `run.googleapis.com/request_count`,
 * 2xx good / 5xx bad, or latency from `request_latencies` under a threshold; rolling
 * window; goal), one email notification channel per address, and one burn-rate alert
 * policy per `alerts` entry. Alert policies and channels get server-assigned IDs, so
 * runctl finds its own through `userLabels`; the SLO's ID is `metadata.name`.
 */
import type { Controller, Identity, LiveResource, Observed, PlanContext, ResourceStatus, Scope } from '../../src/engine/controller';
import type { SloSpec } from '../generated/manifests';
import { digestOf } from '../../src/engine/saved-plan';
import type { Manifest } from '../../src/engine/types';
import { locationOf, projectOf } from '../../src/engine/location';
import { applySlo, deleteSlo, plannedWork } from './apply';
import { listAlertPolicies, liveForm, readLive, type LiveSlo, type Reader } from './live';
import { exportedSlo, listedFullName, listedSlos, unrecognisedSlos } from './inventory';
import { monitoredServiceId, sloForm, withoutDefaultNames, type SloForm, type Target } from './model';
import { planSlo, type DesiredSlo } from './plan';

const KIND = 'Slo';

function target(m: Manifest<SloSpec>, ctx: PlanContext): Target {
  // The Slo lives with the Service it measures unless it names its own project.
  const loc = locationOf(`Service/${m.spec.service}`, ctx);
  const t: Target = { project: projectOf(m, ctx.target, loc.explicitProject), service: m.spec.service, location: loc.region };
  return m.spec.monitoredService ? { ...t, monitoredService: m.spec.monitoredService } : t;
}

/** The SLO's ID in Cloud Monitoring: `spec.sloId`, else metadata.name. */
const sloIdOf = (m: Manifest<SloSpec>) => m.spec.sloId ?? m.metadata.name;

function status(live: LiveSlo): ResourceStatus {
  const ok = !!live.slo;
  return {
    fields: {
      name: live.slo?.name,
      service: live.sloParent?.name ?? live.monitored?.name,
      alertPolicies: live.policies.map((p) => p.name),
      goal: live.slo ? Number(live.slo.goal) : undefined,
    },
    ready: ok ? { status: 'True', reason: 'Available' } : { status: 'Unknown', reason: 'Creating' },
  };
}

/**
 * Monitoring objects carry no etag: the SLO and this Slo's alert policies (whose
 * `mutationRecord` changes on every write), digested, stand for one. Channels are shared
 * between Slos, so they are left out.
 */
function etagOf(live: LiveSlo): string {
  return digestOf({ slo: live.slo, policies: live.policies }).slice('sha256:'.length, 'sha256:'.length + 16);
}

function observed(live: LiveSlo, name: string): Observed<LiveSlo, SloForm> {
  const spec = liveForm(live, name);
  if (!live.slo || !spec) return { exists: false, raw: live };
  return { exists: true, spec, labels: { ...(live.slo.userLabels ?? {}) }, etag: etagOf(live), raw: live, status: status(live) };
}

function desiredSlo(m: Manifest<SloSpec>, ctx: PlanContext, form?: SloForm): DesiredSlo {
  return { form: form ?? withoutDefaultNames(sloForm(m.spec), m.metadata.name), target: target(m, ctx), id: m.metadata.name, sloId: sloIdOf(m), labels: { ...(m.metadata.labels ?? {}) }, set: ctx.set };
}

export const sloController: Controller<SloSpec, LiveSlo, SloForm> = {
  kind: KIND,
  schema: 'slo.schema.json',
  regional: false,

  identify(m, ctx): Identity {
    const t = target(m, ctx);
    return { project: t.project, name: m.metadata.name, fullName: `projects/${t.project}/services/${monitoredServiceId(t)}/serviceLevelObjectives/${sloIdOf(m)}` };
  },

  async observe({ manifest: m }, ctx) {
    return observed(await readLive(ctx, target(m, ctx), sloIdOf(m), ctx.set, m.metadata.name), m.metadata.name);
  },

  desired({ manifest: m }) {
    return withoutDefaultNames(sloForm(m.spec), m.metadata.name);
  },

  plan({ manifest: m, desired, observed: obs }, ctx) {
    const live = obs.raw ?? { target: target(m, ctx), policies: [], duplicates: [], channels: [] };
    return planSlo(desiredSlo(m, ctx, desired), live, obs.exists ? obs.spec : undefined);
  },

  async apply({ manifest: m, desired, plan }, ctx) {
    const { live, byOthers } = await applySlo(ctx.clients, desiredSlo(m, ctx, desired), plannedWork(plan.children), ctx.progress);
    return { ...observed(live, m.metadata.name), ...(byOthers ? { writtenByOthers: true } : {}) };
  },

  async delete({ id, observed: obs }, ctx) {
    const name = obs.raw?.slo?.name ?? id.fullName;
    await deleteSlo(ctx.clients, id.project, name, ctx.set, ctx.progress, id.name);
  },

  async list(scopes: Scope[], ctx): Promise<LiveResource[]> {
    const r: Reader = ctx;
    return (await listedSlos(scopes, r, ctx.set)).map((l) => {
      const o = observed(l.live, l.name);
      const identity = { project: l.target.project, region: l.target.location, name: l.name, fullName: listedFullName(l) };
      return { kind: KIND, name: l.name, identity, labels: { ...(l.live.slo?.userLabels ?? {}) }, spec: o.spec ?? {}, status: o.status, etag: o.etag };
    });
  },

  unexportable(scopes: Scope[], ctx) {
    return unrecognisedSlos(scopes, ctx);
  },

  async exportSpec(r, ctx, opts) {
    // Listed again through the run's memoised lists (no further API reads), for the parts.
    const l = (await listedSlos([{ project: r.identity.project }], ctx, ctx.set)).find((x) => x.name === r.name && listedFullName(x) === r.identity.fullName);
    if (!l) return { spec: r.spec };
    return exportedSlo(l, r.spec as SloForm, await listAlertPolicies(ctx, r.identity.project), opts);
  },
};
