/**
 * Slo, writes. Every Monitoring config write of a project runs under one lock (the
 * real API rejects concurrent edits of a project's configuration), re-reads the live
 * state inside the lock (another Slo may just have made a shared channel or monitored
 * service), and makes it match: monitored service, SLO, channels, alert policies.
 */
import type { Clients } from '../../src/gcp/clients';
import { RunctlError } from '../../src/engine/types';
import { isAlreadyExists, isNotFound } from '../../src/gcp/errors';
import { toProtoDuration } from '../lib/quantity';
import { retryConcurrentEdits, withLock } from '../lib/project-lock';
import { freshReader, listAlertPolicies, listChannels, listMonitoredServices, listSlos, ownedBySet, readLive, type LiveSlo } from './live';
import { alertView, channelBody, LABEL_ALERT, LABEL_SLO, liveSloBody, monitoredServiceId, sloBody, type Obj } from './model';
import { channelFor, desiredPolicies, monitoredName, sharedLabels, type DesiredSlo } from './plan';

const lockKey = (project: string) => `monitoring-config:${project}`;
const write = <T>(fn: () => Promise<T>) => retryConcurrentEdits(fn);
const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

function sloRequest(d: DesiredSlo, live: LiveSlo): Obj {
  const body = sloBody(d.form, d.target, d.id);
  return { ...body, rollingPeriod: toProtoDuration(body.rollingPeriod), userLabels: { ...(live.slo?.userLabels ?? {}), ...d.labels } };
}

async function ensureMonitored(clients: Clients, d: DesiredSlo, live: LiveSlo, progress: (m: string) => void): Promise<void> {
  if (live.monitored) return;
  const sm = clients.monitoring('ServiceMonitoringServiceClient');
  const serviceId = monitoredServiceId(d.target);
  progress(`creating monitored service ${serviceId}`);
  try {
    const [svc] = await write(() =>
      sm.createService({
        parent: `projects/${d.target.project}`,
        serviceId,
        service: { displayName: `Cloud Run ${d.target.service} (${d.target.location})`, cloudRun: { serviceName: d.target.service, location: d.target.location }, userLabels: sharedLabels(d) } as any,
      }),
    );
    live.monitored = svc as Obj;
  } catch (err) {
    if (!isAlreadyExists(err)) throw err;
    const [svc] = await sm.getService({ name: `projects/${d.target.project}/services/${serviceId}` });
    live.monitored = svc as Obj;
  }
}

async function ensureSlo(clients: Clients, d: DesiredSlo, live: LiveSlo, progress: (m: string) => void): Promise<void> {
  const sm = clients.monitoring('ServiceMonitoringServiceClient');
  const parent = monitoredName(d, live);
  const req = sloRequest(d, live);
  if (!live.slo || live.slo.name !== `${parent}/serviceLevelObjectives/${d.id}`) {
    progress(`creating SLO ${d.id}`);
    try {
      await write(() => sm.createServiceLevelObjective({ parent, serviceLevelObjectiveId: d.id, serviceLevelObjective: req as any }));
    } catch (err) {
      if (isAlreadyExists(err)) throw new RunctlError('Conflict', `Slo/${d.id} appeared while creating it`, { cause: err });
      throw err;
    }
    return;
  }
  const want = { ...sloBody(d.form, d.target, d.id), userLabels: req.userLabels };
  const have = { ...liveSloBody(live.slo), userLabels: live.slo.userLabels ?? {} };
  if (same(want, have)) return;
  progress(`updating SLO ${d.id}`);
  await write(() =>
    sm.updateServiceLevelObjective({
      serviceLevelObjective: { ...req, name: live.slo!.name } as any,
      updateMask: { paths: ['display_name', 'service_level_indicator', 'goal', 'rolling_period', 'user_labels'] },
    }),
  );
}

async function ensureChannels(clients: Clients, d: DesiredSlo, live: LiveSlo, progress: (m: string) => void): Promise<Map<string, string>> {
  const nc = clients.monitoring('NotificationChannelServiceClient');
  const names = new Map<string, string>();
  const addresses = [...new Set(d.form.alerts.flatMap((a) => a.notify.map((n) => n.replace(/^email:/, ''))))].sort();
  for (const address of addresses) {
    const existing = channelFor(live.channels, address, d.set);
    if (existing) {
      names.set(address, existing.name);
      continue;
    }
    progress(`creating notification channel for ${address}`);
    const [ch] = await write(() => nc.createNotificationChannel({ name: `projects/${d.target.project}`, notificationChannel: channelBody(address, sharedLabels(d)) as any }));
    names.set(address, ch.name as string);
    live.channels.push(ch as Obj);
  }
  return names;
}

async function ensurePolicies(clients: Clients, d: DesiredSlo, live: LiveSlo, channels: Map<string, string>, progress: (m: string) => void): Promise<void> {
  const ap = clients.monitoring('AlertPolicyServiceClient');
  const byIndex = new Map(live.policies.map((p) => [Number(p.userLabels[LABEL_ALERT]), p]));
  const bodies = desiredPolicies(d, live, (a) => channels.get(a));
  for (const [i, body] of bodies.entries()) {
    const p = byIndex.get(i);
    if (!p) {
      progress(`creating alert policy #${i}`);
      await write(() => ap.createAlertPolicy({ name: `projects/${d.target.project}`, alertPolicy: body as any }));
      continue;
    }
    const userLabels = { ...(p.userLabels ?? {}), ...body.userLabels };
    if (same(alertView(body), alertView(p)) && same(userLabels, p.userLabels ?? {})) continue;
    progress(`updating alert policy #${i}`);
    // Keep the live condition's name, so the condition's incident history stays attached.
    const conditions = body.conditions.map((c: Obj, j: number) => ({ ...c, name: p.conditions?.[j]?.name || undefined }));
    await write(() =>
      ap.updateAlertPolicy({
        alertPolicy: { ...body, conditions, userLabels, name: p.name } as any,
        updateMask: { paths: ['display_name', 'combiner', 'conditions', 'notification_channels', 'user_labels', 'enabled'] },
      }),
    );
  }
  for (const [i, p] of byIndex) {
    if (i < bodies.length) continue;
    progress(`deleting alert policy #${i}`);
    await deleteIgnoringMissing(() => ap.deleteAlertPolicy({ name: p.name }));
  }
}

async function deleteIgnoringMissing(fn: () => Promise<unknown>): Promise<void> {
  try {
    await write(fn);
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
}

/** Make the live Monitoring objects match `d`; returns the state read back afterwards. */
export async function applySlo(clients: Clients, d: DesiredSlo, progress: (m: string) => void): Promise<LiveSlo> {
  return withLock(lockKey(d.target.project), async () => {
    const live = await readLive(freshReader(clients), d.target, d.id, d.set);
    const moved = live.slo && live.sloParent?.name !== monitoredName(d, live) ? live.slo : undefined;
    await ensureMonitored(clients, d, live, progress);
    await ensureSlo(clients, d, live, progress);
    const channels = await ensureChannels(clients, d, live, progress);
    await ensurePolicies(clients, d, live, channels, progress);
    if (moved) {
      progress(`deleting the SLO under its previous service (${moved.name})`);
      await deleteIgnoringMissing(() => clients.monitoring('ServiceMonitoringServiceClient').deleteServiceLevelObjective({ name: moved.name }));
    }
    return readLive(freshReader(clients), d.target, d.id, d.set);
  });
}

/**
 * Delete a Slo: its alert policies, the SLO, the set's email channels no policy uses
 * any more, and the set's monitored service once no SLO is left under it.
 */
export async function deleteSlo(clients: Clients, project: string, sloName: string, set: string, progress: (m: string) => void): Promise<void> {
  const id = sloName.split('/').pop()!;
  const parent = sloName.slice(0, sloName.indexOf('/serviceLevelObjectives/'));
  await withLock(lockKey(project), async () => {
    const ap = clients.monitoring('AlertPolicyServiceClient');
    const sm = clients.monitoring('ServiceMonitoringServiceClient');
    const nc = clients.monitoring('NotificationChannelServiceClient');
    const before = freshReader(clients);
    for (const p of await listAlertPolicies(before, project)) {
      if (!ownedBySet(p.userLabels, set) || p.userLabels?.[LABEL_SLO] !== id) continue;
      progress(`deleting alert policy ${p.displayName}`);
      await deleteIgnoringMissing(() => ap.deleteAlertPolicy({ name: p.name }));
    }
    progress(`deleting SLO ${id}`);
    await deleteIgnoringMissing(() => sm.deleteServiceLevelObjective({ name: sloName }));
    const after = freshReader(clients);
    const used = new Set((await listAlertPolicies(after, project)).flatMap((p) => p.notificationChannels ?? []));
    for (const c of await listChannels(after, project)) {
      if (!ownedBySet(c.userLabels, set) || used.has(c.name)) continue;
      progress(`deleting notification channel ${c.displayName}`);
      await deleteIgnoringMissing(() => nc.deleteNotificationChannel({ name: c.name }));
    }
    const svc = (await listMonitoredServices(after, project)).find((s) => s.name === parent);
    if (svc && ownedBySet(svc.userLabels, set) && !(await listSlos(after, parent)).length) {
      progress(`deleting monitored service ${parent.split('/').pop()}`);
      await deleteIgnoringMissing(() => sm.deleteService({ name: parent }));
    }
  });
}
