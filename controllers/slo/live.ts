/**
 * Slo, reads: the monitored services, SLOs, alert policies and notification channels
 * of a project, through ONE list call per collection (memoised per run), and the live
 * state of one Slo assembled from them.
 */
import type { Clients } from '../../src/gcp/clients';
import { hasIdentity, LABEL_RESOURCE, LABEL_ROLE, labelValue } from '../../src/engine/ownership';
import { LABEL_MANAGED_BY, LABEL_SET, MANAGED_BY_VALUE } from '../../src/engine/types';
import { keeperFirst } from './create-once';
import { alertView, CHANNEL_OWNER, channelRole, defaultAlertDisplayName, defaultSloDisplayName, LABEL_ALERT, LABEL_SLO, monitoredServiceId, parseBurnRateFilter, readObjective, sameMonitoringName, sloKey, type AlertForm, type Obj, type SloForm, type Target } from './model';

/** What reads need: the clients and a memoiser (the session's, or a fresh one inside writes). */
export interface Reader {
  clients: Clients;
  cached<T>(key: string, load: () => Promise<T>): Promise<T>;
}

/** A memoiser that forgets nothing but shares nothing with the session (fresh reads). */
export function freshReader(clients: Clients): Reader {
  const memo = new Map<string, Promise<unknown>>();
  return {
    clients,
    cached<T>(key: string, load: () => Promise<T>): Promise<T> {
      if (!memo.has(key)) memo.set(key, load());
      return memo.get(key) as Promise<T>;
    },
  };
}

async function all<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

export const listMonitoredServices = (r: Reader, project: string): Promise<Obj[]> =>
  r.cached(`monitoring.services:${project}`, () => all(r.clients.monitoring('ServiceMonitoringServiceClient').listServicesAsync({ parent: `projects/${project}` }, { autoPaginate: false })) as Promise<Obj[]>);

export const listSlos = (r: Reader, service: string): Promise<Obj[]> =>
  r.cached(`monitoring.slos:${service}`, () => all(r.clients.monitoring('ServiceMonitoringServiceClient').listServiceLevelObjectivesAsync({ parent: service }, { autoPaginate: false })) as Promise<Obj[]>);

export const listAlertPolicies = (r: Reader, project: string): Promise<Obj[]> =>
  r.cached(`monitoring.alertPolicies:${project}`, () => all(r.clients.monitoring('AlertPolicyServiceClient').listAlertPoliciesAsync({ name: `projects/${project}` }, { autoPaginate: false })) as Promise<Obj[]>);

export const listChannels = (r: Reader, project: string): Promise<Obj[]> =>
  r.cached(`monitoring.channels:${project}`, () => all(r.clients.monitoring('NotificationChannelServiceClient').listNotificationChannelsAsync({ name: `projects/${project}` }, { autoPaginate: false })) as Promise<Obj[]>);

/** The Cloud Run service a monitored service stands for, if it is one. */
export function cloudRunOf(s: Obj): { service: string; location: string } | undefined {
  if (s.cloudRun?.serviceName) return { service: s.cloudRun.serviceName, location: s.cloudRun.location };
  const l = s.basicService?.serviceLabels;
  if (s.basicService?.serviceType === 'CLOUD_RUN' && l?.service_name) return { service: l.service_name, location: l.location };
  return undefined;
}

export const ownedBySet = (labels: Obj | undefined, set: string) => labels?.[LABEL_MANAGED_BY] === MANAGED_BY_VALUE && labels?.[LABEL_SET] === set;

/**
 * The monitored service of a Slo: the one the manifest names (whatever its kind: a custom
 * service too); else, for the Cloud Run service, runctl's own ID first, else the first
 * that matches.
 */
export function findMonitored(services: Obj[], t: Target): Obj | undefined {
  const own = `projects/${t.project}/services/${monitoredServiceId(t)}`;
  if (t.monitoredService) return services.find((s) => sameMonitoringName(s.name, own));
  const matches = services.filter((s) => {
    const cr = cloudRunOf(s);
    return cr?.service === t.service && cr.location === t.location;
  });
  return matches.find((s) => sameMonitoringName(s.name, own)) ?? matches[0];
}

/** The live state of one Slo. */
export interface LiveSlo {
  target: Target;
  monitored?: Obj;
  slo?: Obj;
  /** The monitored service the live SLO is under (differs from `monitored` when `service` changed). */
  sloParent?: Obj;
  /** This Slo's alert policies (owned by the set), one per `runctl-alert` index: the keepers. */
  policies: Obj[];
  /** Further policies with the identity of one in `policies`: duplicates, to delete. */
  duplicates: Obj[];
  channels: Obj[];
  /**
   * The SLO is not this set's (made outside runctl, or another owner's): `policies` are
   * then its burn-rate alert policies not owned by the set, in creation order (their
   * alert index is their position, see `policyIndex`), and the email channels they
   * notify may stand for the manifest's addresses (`adoptableChannels`). `apply --adopt`
   * labels them all; before that nothing of them is written.
   */
  adopting?: boolean;
  /** Names of the channels the adopted policies notify (see `adopting`). */
  adoptableChannels?: Set<string>;
}

/** Whether a policy is one of this Slo's: its identity, or the labels earlier versions wrote. */
export function isSloPolicy(p: Obj, set: string, id: string): boolean {
  if (!ownedBySet(p.userLabels, set)) return false;
  return p.userLabels?.[LABEL_SLO] === id || p.userLabels?.[LABEL_RESOURCE] === labelValue(sloKey(id));
}

/** A policy's alert index (`runctl-alert`, else its role `alert-N`). */
export function alertIndexOf(p: Obj): number {
  const label = p.userLabels?.[LABEL_ALERT];
  if (label !== undefined) return Number(label);
  const m = /^alert-(\d+)$/.exec(p.userLabels?.[LABEL_ROLE] ?? '');
  return m ? Number(m[1]) : NaN;
}

/** Keepers (one per index, the oldest) and duplicates among one Slo's policies. */
export function splitDuplicates(policies: Obj[]): { keepers: Obj[]; duplicates: Obj[] } {
  const byIndex = new Map<number, Obj[]>();
  for (const p of policies) byIndex.set(alertIndexOf(p), [...(byIndex.get(alertIndexOf(p)) ?? []), p]);
  const keepers: Obj[] = [];
  const duplicates: Obj[] = [];
  for (const [, group] of [...byIndex].sort((a, b) => a[0] - b[0])) {
    const [keep, ...rest] = keeperFirst(group);
    keepers.push(keep);
    duplicates.push(...rest);
  }
  return { keepers, duplicates };
}

/**
 * The set's email channels for an address, keeper first: those with the channel identity,
 * and those earlier versions made (owned by the set, no role label). When the set has
 * none and a Slo is being adopted, the email channel for the address its adopted
 * policies notify (`adoptable`): labelling it adopts it, instead of making a second one.
 * Only the set's own are ever duplicates.
 */
export function channelsFor(channels: Obj[], address: string, set: string, adoptable?: Set<string>): Obj[] {
  const forAddress = channels.filter((c) => c.type === 'email' && c.labels?.email_address === address);
  const matching = forAddress.filter(
    (c) => ownedBySet(c.userLabels, set) && (hasIdentity(c.userLabels, set, CHANNEL_OWNER, channelRole(address)) || c.userLabels?.[LABEL_ROLE] === undefined),
  );
  if (matching.length || !adoptable?.size) return keeperFirst(matching);
  return keeperFirst(forAddress.filter((c) => adoptable.has(c.name) && !ownedBySet(c.userLabels, set))).slice(0, 1);
}

/** Whether a channel is one runctl models (an email channel it can name as `email:ADDRESS`). */
export const isModelledChannel = (c: Obj | undefined) => c?.type === 'email' && !!c.labels?.email_address;

/**
 * A policy's channels split into those runctl manages (email) and those it keeps as they
 * are (other types, or channels it cannot read): written back unchanged on every update.
 */
export function splitChannels(names: string[] | undefined, channels: Obj[]): { modelled: string[]; kept: string[] } {
  const byName = new Map(channels.map((c) => [c.name, c]));
  const modelled: string[] = [];
  const kept: string[] = [];
  for (const n of names ?? []) (isModelledChannel(byName.get(n)) ? modelled : kept).push(n);
  return { modelled, kept };
}

/** Whether a policy alerts on the burn rate of this SLO (`select_slo_burn_rate` in one of its conditions). */
export function burnsSlo(p: Obj, sloName: string): boolean {
  return ((p.conditions ?? []) as Obj[]).some((c) => sameMonitoringName(parseBurnRateFilter(c.conditionThreshold?.filter)?.slo, sloName));
}

/** A policy's alert index: its position among adopted policies, else its labels (see `alertIndexOf`). */
export function policyIndex(live: Pick<LiveSlo, 'adopting' | 'policies'>, p: Obj): number {
  return live.adopting ? live.policies.indexOf(p) : alertIndexOf(p);
}

const sloId = (name: string) => name.split('/').pop();
const parentOf = (sloName: string) => sloName.slice(0, sloName.indexOf('/serviceLevelObjectives/'));

/**
 * Read one Slo's live state (list calls are memoised through `r`): `id` is the SLO's ID,
 * `name` the Slo's metadata.name (its alert policies' identity), the same unless the
 * manifest sets `sloId`.
 */
export async function readLive(r: Reader, t: Target, id: string, set: string, name: string = id): Promise<LiveSlo> {
  const [services, policies, channels] = await Promise.all([listMonitoredServices(r, t.project), listAlertPolicies(r, t.project), listChannels(r, t.project)]);
  const monitored = findMonitored(services, t);
  let slo = monitored ? (await listSlos(r, monitored.name)).find((o) => sloId(o.name) === id) : undefined;
  if (!slo) {
    // The Slo may have measured another Service before: look under runctl's other monitored services.
    for (const s of services.filter((x) => x !== monitored && ownedBySet(x.userLabels, set) && cloudRunOf(x))) {
      slo = (await listSlos(r, s.name)).find((o) => sloId(o.name) === id && ownedBySet(o.userLabels, set));
      if (slo) break;
    }
  }
  const sloParent = slo ? services.find((s) => sameMonitoringName(s.name, parentOf(slo!.name))) : undefined;
  // The set's policies on this SLO are this Slo's, also those labelled for another name (a
  // Slo renamed while `sloId` keeps its SLO): they get the new identity, not a duplicate.
  const { keepers, duplicates } = splitDuplicates(policies.filter((p) => isSloPolicy(p, set, name) || (slo && ownedBySet(p.userLabels, set) && burnsSlo(p, slo.name))));
  if (slo && !ownedBySet(slo.userLabels, set) && !keepers.length) {
    // Made outside runctl: its alerts are the policies that burn this SLO, found by their filter.
    const foreign = keeperFirst(policies.filter((p) => !ownedBySet(p.userLabels, set) && burnsSlo(p, slo!.name)));
    const adoptableChannels = new Set(foreign.flatMap((p) => (p.notificationChannels ?? []) as string[]));
    return { target: t, monitored, slo, sloParent, policies: foreign, duplicates: [], channels, adopting: true, adoptableChannels };
  }
  return { target: t, monitored, slo, sloParent, policies: keepers, duplicates, channels };
}

/**
 * A live alert policy in manifest terms: `notify` lists its email channels as
 * `email:ADDRESS` (channels of other types are kept, not declared), and `displayName`
 * only where it is not runctl's default for the Slo `name`.
 */
function alertForm(p: Obj, channels: Obj[], name: string): AlertForm {
  const v = alertView(p);
  const byName = new Map(channels.map((c) => [c.name, c]));
  const notify = splitChannels(v.notificationChannels, channels).modelled.map((n) => `email:${byName.get(n)!.labels.email_address}`);
  const form: AlertForm = { burnRate: v.thresholdValue, lookback: parseBurnRateFilter(v.filter)?.lookback ?? v.filter, notify: [...new Set(notify)].sort() };
  if (p.displayName && p.displayName !== defaultAlertDisplayName(name, form)) form.displayName = p.displayName;
  return form;
}

/** This Slo's live alerts by their index (see `policyIndex`); `name` is the Slo's metadata.name. */
export function liveAlerts(live: LiveSlo, name: string): Map<number, AlertForm> {
  return new Map(live.policies.map((p) => [policyIndex(live, p), alertForm(p, live.channels, name)]));
}

/**
 * The manifest form of a live Slo (undefined when its SLO does not exist), for the Slo
 * `name`: the display names only where they are not runctl's defaults, `sloId` where the
 * SLO's ID is not `name`, `monitoredService` where the target names one.
 */
export function liveForm(live: LiveSlo, name: string): SloForm | undefined {
  if (!live.slo) return undefined;
  const cr = live.sloParent ? cloudRunOf(live.sloParent) : undefined;
  const objective = readObjective(live.slo);
  const form: SloForm = { service: cr?.service ?? live.target.service, ...objective, alerts: [...liveAlerts(live, name).values()] };
  const id = sloId(live.slo.name);
  if (id && id !== name) form.sloId = id;
  if (live.target.monitoredService && live.sloParent) form.monitoredService = String(live.sloParent.name).split('/').pop();
  if (live.slo.displayName && live.slo.displayName !== defaultSloDisplayName(objective, name)) form.displayName = live.slo.displayName;
  return form;
}
