/**
 * Slo, listing and export: every SLO of a project that measures a Cloud Run service, as
 * the Slo that stands for it, whoever made it. A group made outside runctl (in the
 * console, with gcloud or Terraform: a monitored service, its SLO, the alert policies on
 * its burn rate and the channels they notify) is recognised from its parts and exported
 * as one minimal Slo; what no Slo field expresses is listed, never dropped in silence.
 */
import type { ExportedSpec, ExportOptions, LiveResource, Scope } from '../../src/engine/controller';
import { durationSeconds, humanDuration, normalizeDuration } from '../../src/util/duration';
import { digest } from '../shared/digest';
import { burnsSlo, cloudRunOf, isModelledChannel, listMonitoredServices, listSlos, readLive, type LiveSlo, type Reader } from './live';
import { alertView, burnConditionIndex, canonicalSli, sameMonitoringName, sloBody, type Obj, type SloForm, type Target } from './model';

/** A Slo's metadata.name must be a valid name: `^[a-z]([-a-z0-9]*[a-z0-9])?$`, at most 63 characters. */
const NAME = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

/**
 * The Slo name of an SLO: its ID when that is a valid name, else a stable name derived
 * from the ID alone (`slo-<id lowercased>-<hash>`; the ID then goes in `spec.sloId`). Only
 * the ID, never the display name, so a listed Slo keeps its name whatever is edited.
 */
export function sloNameOf(id: string): string {
  if (NAME.test(id) && id.length <= 63) return id;
  const slug = id.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40).replace(/-+$/, '');
  return `slo-${slug ? `${slug}-` : ''}${digest(id, 8)}`;
}

const idOf = (name: string) => String(name).split('/').pop()!;

/** Where the SLO's Cloud Run service is: the monitored service's identifier, else its SLI filters. */
function cloudRunTarget(svc: Obj, slo: Obj): { service: string; location: string } | undefined {
  const cr = cloudRunOf(svc);
  if (cr) return cr;
  const sli = JSON.stringify(slo.serviceLevelIndicator ?? {});
  if (!sli.includes('cloud_run_revision')) return undefined;
  const service = /resource\.labels?\.service_name\s*=\s*\\"([^\\"]+)\\"/.exec(sli)?.[1];
  const location = /resource\.labels?\.location\s*=\s*\\"([^\\"]+)\\"/.exec(sli)?.[1];
  return service && location ? { service, location } : undefined;
}

/** One listed SLO: the Slo's name, where it is, and its live state. */
export interface ListedSlo {
  name: string;
  target: Target;
  live: LiveSlo;
}

/**
 * Every SLO of the projects measuring a Cloud Run service: under Cloud Run monitored
 * services, and under others (custom services) whose SLI selects one service's
 * `cloud_run_revision` series. The target names the monitored service (`monitoredService`)
 * whenever its ID is not the one runctl would make, so a manifest records it.
 */
export async function listedSlos(scopes: Scope[], r: Reader, set: string): Promise<ListedSlo[]> {
  const out: ListedSlo[] = [];
  for (const project of new Set(scopes.map((s) => s.project))) {
    for (const svc of await listMonitoredServices(r, project)) {
      for (const slo of await listSlos(r, svc.name)) {
        const cr = cloudRunTarget(svc, slo);
        if (!cr) continue;
        const base: Target = { project, service: cr.service, location: cr.location };
        const own = `run-${cr.service}-${cr.location}`;
        const target: Target = idOf(svc.name) === own ? base : { ...base, monitoredService: idOf(svc.name) };
        const name = sloNameOf(idOf(slo.name));
        const live = await readLive(r, target, idOf(slo.name), set, name);
        out.push({ name, target, live: sameMonitoringName(live.slo?.name, slo.name) ? live : { ...live, slo, sloParent: svc } });
      }
    }
  }
  return out;
}

/**
 * SLOs no Slo can stand for, one line each (see `Controller.unexportable`): those of
 * monitored services that measure no Cloud Run service (App Engine, GKE, Istio, a custom
 * service whose SLI selects no one Cloud Run service's series).
 */
export async function unrecognisedSlos(scopes: Scope[], r: Reader): Promise<string[]> {
  const out: string[] = [];
  for (const project of new Set(scopes.map((s) => s.project))) {
    for (const svc of await listMonitoredServices(r, project)) {
      for (const slo of await listSlos(r, svc.name)) {
        if (cloudRunTarget(svc, slo)) continue;
        out.push(`SLO "${slo.displayName || idOf(slo.name)}" (${slo.name}) of monitored service "${svc.displayName || idOf(svc.name)}": it measures no Cloud Run service (a Slo measures one Service's cloud_run_revision requests)`);
      }
    }
  }
  return out;
}

/** The full name a listed SLO is known by: project ID (as `identify` spells it), monitored service ID, SLO ID. */
export const listedFullName = (l: ListedSlo) => `projects/${l.target.project}/services/${idOf(l.live.sloParent?.name ?? l.live.slo!.name)}/serviceLevelObjectives/${idOf(l.live.slo!.name)}`;

/** One SLI described for a person: its kind and filters. */
function describeSli(sli: Obj | undefined): string {
  const rb = sli?.requestBased;
  if (sli?.windowsBased) {
    const w = sli.windowsBased;
    const criterion = Object.keys(w).find((k) => k !== 'windowPeriod' && k !== 'windowCriterion' && w[k]) ?? w.windowCriterion;
    return `a windows-based SLI (windows of ${normalizeDuration(w.windowPeriod) ?? '?'}, ${criterion})`;
  }
  if (sli?.basicSli) return `a basic SLI (${JSON.stringify(sli.basicSli)})`;
  if (rb?.goodTotalRatio) return `a request-based ratio (${Object.entries(rb.goodTotalRatio).filter(([, v]) => v).map(([k, v]) => `${k}: ${v}`).join('; ')})`;
  if (rb?.distributionCut) return `a request-based distribution cut (${JSON.stringify(rb.distributionCut)})`;
  return JSON.stringify(sli ?? {});
}

/** What the SLO holds that the Slo form cannot say. */
function sloUnexpressed(live: LiveSlo, form: SloForm, name: string): string[] {
  const want = canonicalSli(sloBody(form, live.target, name).serviceLevelIndicator);
  if (JSON.stringify(want) === JSON.stringify(canonicalSli(live.slo!.serviceLevelIndicator))) return [];
  const declared = form.latency ? 'latency' : 'availability';
  return [
    `serviceLevelIndicator: ${describeSli(live.slo!.serviceLevelIndicator)} is not an SLI a Slo declares (request-based availability of the Cloud Run service, 2xx good / 5xx bad, or latency below a threshold); spec.${declared} is the closest, and applying it replaces the SLI with that`,
  ];
}

/** Lines of what a manifest cannot say: kept as it is live, or changed by applying it. */
interface Unsaid {
  kept: string[];
  changed: string[];
}

/** What one recognised alert policy holds beyond the burn-rate alert the Slo declares. */
function policyUnexpressed(p: Obj, channels: Map<string, Obj>): Unsaid {
  const out: string[] = [];
  const changed: string[] = [];
  const what = `alertPolicy "${p.displayName}" (${p.name})`;
  const burn = burnConditionIndex(p);
  const th = p.conditions?.[burn]?.conditionThreshold ?? {};
  ((p.conditions ?? []) as Obj[]).forEach((c, j) => {
    if (j !== burn) out.push(`${what}: condition "${c.displayName}" (${c.conditionThreshold?.filter ?? Object.keys(c).find((k) => k.startsWith('condition'))}), joined by ${p.combiner ?? 'COMBINE_UNSPECIFIED'}: kept as it is`);
  });
  if (p.documentation?.content) out.push(`${what}: documentation: kept as it is`);
  if (p.severity && p.severity !== 'SEVERITY_UNSPECIFIED') out.push(`${what}: severity ${p.severity}: kept as it is`);
  if (p.alertStrategy && Object.keys(p.alertStrategy).length) out.push(`${what}: alertStrategy ${JSON.stringify(p.alertStrategy)}: kept as it is`);
  if (th.trigger && Object.keys(th.trigger).length) out.push(`${what}: condition trigger ${JSON.stringify(th.trigger)}: kept as it is`);
  for (const n of (p.notificationChannels ?? []) as string[]) {
    const c = channels.get(n);
    if (!isModelledChannel(c)) out.push(`${what}: notification channel ${c ? `"${c.displayName ?? n}" (type ${c.type})` : n}: a Slo notifies email channels only; kept as it is`);
  }
  const v = alertView(p);
  if (v.comparison !== 'COMPARISON_GT') changed.push(`${what}: comparison ${v.comparison} (a Slo's alerts fire above the burn rate: COMPARISON_GT)`);
  if (v.duration !== '0s') changed.push(`${what}: condition duration ${v.duration} (a Slo's alerts fire at once: 0s)`);
  if (v.enabled === false) changed.push(`${what}: disabled (a Slo's alerts are enabled)`);
  return { kept: out, changed };
}

/** Policies on this SLO that are not burn-rate alerts (health, budget selectors): neither declared nor adopted. */
function otherPolicies(live: LiveSlo, all: Obj[]): string[] {
  const name = live.slo!.name;
  return all
    .filter((p) => !live.policies.includes(p) && !burnsSlo(p, name) && JSON.stringify(p.conditions ?? []).includes(`serviceLevelObjectives/${idOf(name)}`))
    .map((p) => `alertPolicy "${p.displayName}" (${p.name}) watches this SLO but not its burn rate: not part of the Slo; left alone`);
}

/** What a listed Slo's manifest cannot express, line by line (see `ExportedSpec.unexpressed` and `differs`). */
export function unexpressedOf(l: ListedSlo, form: SloForm, allPolicies: Obj[]): Unsaid {
  const channels = new Map(l.live.channels.map((c) => [c.name, c]));
  const policies = l.live.policies.map((p) => policyUnexpressed(p, channels));
  return {
    kept: [...policies.flatMap((x) => x.kept), ...otherPolicies(l.live, allPolicies)],
    changed: [...sloUnexpressed(l.live, form, l.name), ...policies.flatMap((x) => x.changed)],
  };
}

/** A duration as people write it: `300ms`, `5m`, `1h30m`. */
function peopleDuration(v: string): string {
  const secs = durationSeconds(v);
  if (!Number.isFinite(secs)) return v;
  return secs < 1 || !Number.isInteger(secs) ? `${Math.round(secs * 1000)}ms` : humanDuration(secs);
}

/** The form with its durations as people write them (the form itself holds them normalised). */
function writtenForm(form: SloForm): SloForm {
  const out: SloForm = { ...form, alerts: form.alerts.map((a) => ({ ...a, lookback: peopleDuration(a.lookback) })) };
  if (form.latency) out.latency = { ...form.latency, threshold: peopleDuration(form.latency.threshold) };
  return out;
}

/**
 * A listed Slo as a manifest: its form, what it cannot say, and the Service it measures
 * (`service: NAME` is a reference to a Service of the set: exported with it when that
 * Cloud Run service exists, else noted).
 */
export function exportedSlo(l: ListedSlo, form: SloForm, allPolicies: Obj[], opts?: ExportOptions): ExportedSpec {
  const { kept: unexpressed, changed: differs } = unexpressedOf(l, form, allPolicies);
  const exported = (opts?.exported ?? []).some((r: LiveResource) => r.kind === 'Service' && r.name === form.service && (!r.identity.region || r.identity.region === l.target.location));
  const related = exported ? [] : [{ kind: 'Service', name: form.service, spec: {}, listedOnly: true }];
  return { spec: writtenForm(form), unexpressed, ...(differs.length ? { differs } : {}), related };
}
