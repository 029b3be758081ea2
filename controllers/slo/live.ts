/**
 * Slo, reads: the monitored services, SLOs, alert policies and notification channels
 * of a project, through ONE list call per collection (memoised per run), and the live
 * state of one Slo assembled from them.
 */
import type { Clients } from '../../src/gcp/clients';
import { LABEL_MANAGED_BY, LABEL_SET, MANAGED_BY_VALUE } from '../../src/engine/types';
import { alertView, LABEL_ALERT, LABEL_SLO, monitoredServiceId, parseBurnRateFilter, readObjective, type Obj, type SloForm, type Target } from './model';

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
  r.cached(`monitoring.services:${project}`, () => all(r.clients.monitoring('ServiceMonitoringServiceClient').listServicesAsync({ parent: `projects/${project}` }, { autoPaginate: false } as any)) as Promise<Obj[]>);

export const listSlos = (r: Reader, service: string): Promise<Obj[]> =>
  r.cached(`monitoring.slos:${service}`, () => all(r.clients.monitoring('ServiceMonitoringServiceClient').listServiceLevelObjectivesAsync({ parent: service }, { autoPaginate: false } as any)) as Promise<Obj[]>);

export const listAlertPolicies = (r: Reader, project: string): Promise<Obj[]> =>
  r.cached(`monitoring.alertPolicies:${project}`, () => all(r.clients.monitoring('AlertPolicyServiceClient').listAlertPoliciesAsync({ name: `projects/${project}` }, { autoPaginate: false } as any)) as Promise<Obj[]>);

export const listChannels = (r: Reader, project: string): Promise<Obj[]> =>
  r.cached(`monitoring.channels:${project}`, () => all(r.clients.monitoring('NotificationChannelServiceClient').listNotificationChannelsAsync({ name: `projects/${project}` }, { autoPaginate: false } as any)) as Promise<Obj[]>);

/** The Cloud Run service a monitored service stands for, if it is one. */
export function cloudRunOf(s: Obj): { service: string; location: string } | undefined {
  if (s.cloudRun?.serviceName) return { service: s.cloudRun.serviceName, location: s.cloudRun.location };
  const l = s.basicService?.serviceLabels;
  if (s.basicService?.serviceType === 'CLOUD_RUN' && l?.service_name) return { service: l.service_name, location: l.location };
  return undefined;
}

export const ownedBySet = (labels: Obj | undefined, set: string) => labels?.[LABEL_MANAGED_BY] === MANAGED_BY_VALUE && labels?.[LABEL_SET] === set;

/** The monitored service for a Cloud Run service: runctl's own ID first, else any that matches. */
export function findMonitored(services: Obj[], t: Target): Obj | undefined {
  const own = `projects/${t.project}/services/${monitoredServiceId(t)}`;
  const matches = services.filter((s) => {
    const cr = cloudRunOf(s);
    return cr?.service === t.service && cr.location === t.location;
  });
  return matches.find((s) => s.name === own) ?? matches[0];
}

/** The live state of one Slo. */
export interface LiveSlo {
  target: Target;
  monitored?: Obj;
  slo?: Obj;
  /** The monitored service the live SLO is under (differs from `monitored` when `service` changed). */
  sloParent?: Obj;
  /** This Slo's alert policies (owned by the set), by `runctl-alert` index. */
  policies: Obj[];
  channels: Obj[];
}

const sloId = (name: string) => name.split('/').pop();
const parentOf = (sloName: string) => sloName.slice(0, sloName.indexOf('/serviceLevelObjectives/'));

/** Read one Slo's live state (list calls are memoised through `r`). */
export async function readLive(r: Reader, t: Target, id: string, set: string): Promise<LiveSlo> {
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
  const sloParent = slo ? services.find((s) => s.name === parentOf(slo!.name)) : undefined;
  const mine = policies
    .filter((p) => ownedBySet(p.userLabels, set) && p.userLabels?.[LABEL_SLO] === id)
    .sort((a, b) => Number(a.userLabels[LABEL_ALERT]) - Number(b.userLabels[LABEL_ALERT]));
  return { target: t, monitored, slo, sloParent, policies: mine, channels };
}

/** A live alert policy in manifest terms (`notify` as `email:ADDRESS` where the channel is known). */
function alertForm(p: Obj, channels: Map<string, Obj>): SloForm['alerts'][number] {
  const v = alertView(p);
  const notify = (v.notificationChannels as string[]).map((n) => {
    const c = channels.get(n);
    return c?.type === 'email' && c.labels?.email_address ? `email:${c.labels.email_address}` : n;
  });
  return { burnRate: v.thresholdValue, lookback: parseBurnRateFilter(v.filter)?.lookback ?? v.filter, notify: [...new Set(notify)].sort() };
}

/** This Slo's live alerts by their `runctl-alert` index. */
export function liveAlerts(live: LiveSlo): Map<number, SloForm['alerts'][number]> {
  const channels = new Map(live.channels.map((c) => [c.name, c]));
  return new Map(live.policies.map((p) => [Number(p.userLabels[LABEL_ALERT]), alertForm(p, channels)]));
}

/** The manifest form of a live Slo (undefined when its SLO does not exist). */
export function liveForm(live: LiveSlo): SloForm | undefined {
  if (!live.slo) return undefined;
  const cr = live.sloParent ? cloudRunOf(live.sloParent) : undefined;
  return { service: cr?.service ?? '', ...readObjective(live.slo), alerts: [...liveAlerts(live).values()] };
}
