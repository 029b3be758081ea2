/**
 * Slo, writes. Every Monitoring config write of a project runs under one lock (the
 * real API rejects concurrent edits of a project's configuration), re-reads the live
 * state inside the lock (another Slo may just have made a shared channel or monitored
 * service), and makes it match: monitored service, SLO, channels, alert policies.
 */
import type { SubChange } from '../../src/engine/controller';
import type { Clients } from '../../src/gcp/clients';
import { ownerOf } from '../../src/engine/ownership';
import { RunctlError } from '../../src/engine/types';
import { apiError, GrpcCode, isAlreadyExists, isNotFound } from '../../src/gcp/errors';
import { toProtoDuration } from '../../src/util/duration';
import { retryConcurrentEdits, withLock } from './project-lock';
import { createConverged, deleteIgnoringMissing, Tally } from './identity';
import { burnsSlo, channelsFor, freshReader, isSloPolicy, listAlertPolicies, listChannels, listMonitoredServices, listSlos, ownedBySet, readLive, type LiveSlo } from './live';
import { alertIdentity, channelBody, channelIdentity, comparableSlo, liveSloBody, monitoredServiceId, sameMonitoringName, sloBody, type Obj } from './model';
import { addressesOf, adoptsMonitored, channelFor, channelNeedsLabels, desiredPolicies, monitoredName, policiesByIndex, sharedLabels, sloDiff, type DesiredSlo } from './plan';
import { policyDiff, policyUpdate, runctlLabels } from './policy';

const lockKey = (project: string) => `monitoring-config:${project}`;
const write = <T>(fn: () => Promise<T>) => retryConcurrentEdits(fn);
const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

function sloRequest(d: DesiredSlo, live: LiveSlo): Obj {
  const body = sloBody(d.form, d.target, d.id);
  const latency = body.serviceLevelIndicator.basicSli?.latency;
  const sli = latency ? { serviceLevelIndicator: { basicSli: { latency: { threshold: toProtoDuration(latency.threshold) } } } } : {};
  return { ...body, ...sli, ...(body.rollingPeriod ? { rollingPeriod: toProtoDuration(body.rollingPeriod) } : {}), userLabels: { ...(live.slo?.userLabels ?? {}), ...d.labels } };
}

/** Update only the user labels of a Monitoring object (adopting it, or giving it its identity): nothing else is sent. */
const labelsOnly = { updateMask: { paths: ['user_labels'] } };

async function ensureMonitored(clients: Clients, d: DesiredSlo, live: LiveSlo, t: Tally): Promise<void> {
  const sm = clients.monitoring('ServiceMonitoringServiceClient');
  if (live.monitored) {
    if (!adoptsMonitored(d, live)) return;
    t.progress(`labelling monitored service ${live.monitored.name} (adopted)`);
    t.own++;
    const userLabels = { ...(live.monitored.userLabels ?? {}), ...sharedLabels(d) };
    await write(() => sm.updateService({ service: { name: live.monitored!.name, userLabels }, ...labelsOnly }));
    return;
  }
  const serviceId = monitoredServiceId(d.target);
  t.progress(`creating monitored service ${serviceId}`);
  try {
    const [svc] = await write(() =>
      sm.createService({
        parent: `projects/${d.target.project}`,
        serviceId,
        service: { displayName: `Cloud Run ${d.target.service} (${d.target.location})`, cloudRun: { serviceName: d.target.service, location: d.target.location }, userLabels: sharedLabels(d) },
      }),
    );
    live.monitored = svc as Obj;
    t.own++;
  } catch (err) {
    if (!isAlreadyExists(err)) throw err;
    const [svc] = await sm.getService({ name: `projects/${d.target.project}/services/${serviceId}` });
    live.monitored = svc as Obj;
    t.concurrent++;
  }
}

const wantSlo = (d: DesiredSlo, req: Obj) => ({ ...comparableSlo(sloBody(d.form, d.target, d.id)), userLabels: req.userLabels });
const haveSlo = (slo: Obj) => ({ ...comparableSlo(liveSloBody(slo)), userLabels: slo.userLabels ?? {} });

async function ensureSlo(clients: Clients, d: DesiredSlo, live: LiveSlo, t: Tally): Promise<void> {
  const sm = clients.monitoring('ServiceMonitoringServiceClient');
  const parent = monitoredName(d, live);
  const req = sloRequest(d, live);
  const name = `${parent}/serviceLevelObjectives/${d.sloId}`;
  if (!live.slo || !sameMonitoringName(live.slo.name, name)) {
    t.progress(`creating SLO ${d.sloId}`);
    try {
      await write(() => sm.createServiceLevelObjective({ parent, serviceLevelObjectiveId: d.sloId, serviceLevelObjective: req }));
      t.own++;
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
      // Made by a concurrent apply: fine when it is what we want; otherwise the engine re-plans.
      const [made] = await sm.getServiceLevelObjective({ name });
      if (!same(wantSlo(d, req), haveSlo(made as Obj))) throw new RunctlError('AlreadyExists', `Slo/${d.id}: the SLO ${name} appeared while creating it, with other settings`, { cause: err });
      t.progress(`SLO ${d.id} was just made by a concurrent apply, as wanted`);
      t.concurrent++;
    }
    return;
  }
  const diff = sloDiff(d, live.slo, req.userLabels);
  if (!diff.body && !diff.labels) return;
  t.own++;
  if (!diff.body) {
    // Only labels differ (adopting it): send nothing else, so nothing else can change.
    t.progress(`labelling SLO ${d.sloId}`);
    await write(() => sm.updateServiceLevelObjective({ serviceLevelObjective: { name: live.slo!.name, userLabels: req.userLabels }, ...labelsOnly }));
    return;
  }
  t.progress(`updating SLO ${d.sloId}`);
  await write(() =>
    sm.updateServiceLevelObjective({
      serviceLevelObjective: { ...req, name: live.slo!.name },
      updateMask: { paths: ['display_name', 'service_level_indicator', 'goal', req.calendarPeriod ? 'calendar_period' : 'rolling_period', 'user_labels'] },
    }),
  );
}

async function ensureChannels(clients: Clients, d: DesiredSlo, live: LiveSlo, t: Tally): Promise<Map<string, string>> {
  const nc = clients.monitoring('NotificationChannelServiceClient');
  const names = new Map<string, string>();
  for (const address of addressesOf(d)) {
    const identity = channelIdentity(d.set, address);
    const existing = channelFor(live, address, d.set);
    if (existing) {
      names.set(address, existing.name);
      if (channelNeedsLabels(d, existing, address)) {
        t.progress(`labelling notification channel ${existing.name} for ${address} with its identity`);
        t.own++;
        await write(() => nc.updateNotificationChannel({ notificationChannel: { name: existing.name, userLabels: { ...(existing.userLabels ?? {}), ...identity } }, ...labelsOnly }));
        existing.userLabels = { ...(existing.userLabels ?? {}), ...identity };
      }
      continue;
    }
    t.progress(`creating notification channel for ${address}`);
    const ch = await createConverged(clients, {
      what: `notification channel for ${address}`,
      kind: 'channels',
      project: d.target.project,
      identity,
      create: async () => (await write(() => nc.createNotificationChannel({ name: `projects/${d.target.project}`, notificationChannel: channelBody(address, { ...sharedLabels(d), ...identity }) })))[0] as Obj,
      remove: (name) => nc.deleteNotificationChannel({ name }),
      tally: t,
    });
    names.set(address, ch.name as string);
    live.channels.push(ch);
  }
  return names;
}

async function ensurePolicies(clients: Clients, d: DesiredSlo, live: LiveSlo, channels: Map<string, string>, t: Tally): Promise<void> {
  const ap = clients.monitoring('AlertPolicyServiceClient');
  const byIndex = policiesByIndex(live);
  const bodies = desiredPolicies(d, live, (a) => channels.get(a));
  for (const [i, body] of bodies.entries()) {
    const p = byIndex.get(i);
    if (!p) {
      t.progress(`creating alert policy #${i}`);
      await createConverged(clients, {
        what: `alert policy #${i} of Slo/${d.id}`,
        kind: 'policies',
        project: d.target.project,
        identity: alertIdentity(d.set, d.id, i),
        create: async () => (await write(() => ap.createAlertPolicy({ name: `projects/${d.target.project}`, alertPolicy: body })))[0] as Obj,
        remove: (name) => ap.deleteAlertPolicy({ name }),
        tally: t,
      });
      continue;
    }
    const userLabels = { ...(p.userLabels ?? {}), ...body.userLabels };
    const diff = policyDiff({ ...body, userLabels }, p, live.channels);
    if (!diff.view && !diff.labels) continue;
    t.own++;
    if (!diff.view) {
      // Only labels differ (adopting it, or an identity to add): send nothing else.
      t.progress(`labelling alert policy #${i} (${p.name})`);
      const marked = { ...(p.userLabels ?? {}), ...runctlLabels(body.userLabels) };
      await write(() => ap.updateAlertPolicy({ alertPolicy: { name: p.name, userLabels: marked }, ...labelsOnly }));
      continue;
    }
    t.progress(`updating alert policy #${i}`);
    await write(() => ap.updateAlertPolicy({ alertPolicy: { ...policyUpdate(body, p, live.channels), userLabels, name: p.name }, updateMask: { paths: ['display_name', 'combiner', 'conditions', 'notification_channels', 'user_labels', 'enabled'] } }));
  }
  for (const [i, p] of byIndex) {
    if (i < bodies.length) continue;
    t.progress(`deleting alert policy #${i}`);
    t.own++;
    await deleteIgnoringMissing(() => ap.deleteAlertPolicy({ name: p.name }));
  }
}

/**
 * Delete duplicates: further policies with the identity of a kept one, then further
 * channels for an address. Policies go first, as a channel in use cannot be deleted; a
 * duplicate channel another Slo's policy still uses is left for that Slo's apply.
 */
async function deleteDuplicates(clients: Clients, d: DesiredSlo, live: LiveSlo, t: Tally): Promise<void> {
  const ap = clients.monitoring('AlertPolicyServiceClient');
  const nc = clients.monitoring('NotificationChannelServiceClient');
  for (const p of live.duplicates) {
    t.progress(`deleting duplicate alert policy ${p.name}`);
    t.own++;
    await deleteIgnoringMissing(() => ap.deleteAlertPolicy({ name: p.name }));
  }
  for (const address of addressesOf(d)) {
    for (const c of channelsFor(live.channels, address, d.set).slice(1)) {
      t.progress(`deleting duplicate notification channel ${c.name} (${address})`);
      t.own++;
      try {
        await deleteIgnoringMissing(() => nc.deleteNotificationChannel({ name: c.name }));
      } catch (err) {
        if (apiError(err).code !== GrpcCode.FAILED_PRECONDITION) throw err;
        t.progress(`duplicate notification channel ${c.name} is still used by another alert policy; left for now`);
      }
    }
  }
}


/** The sub-resources a plan changes, by kind (`serviceLevelObjective`, `alertPolicy`, ...), with their actions. */
export type PlannedWork = Map<string, Set<SubChange['action']>>;

/** What the plan's sub-resource lines ask for (noop lines ask for nothing). */
export function plannedWork(children: SubChange[] | undefined): PlannedWork {
  const work: PlannedWork = new Map();
  for (const c of children ?? []) {
    if (c.action === 'noop') continue;
    const kind = c.name.split(' ')[0];
    work.set(kind, new Set([...(work.get(kind) ?? []), c.action]));
  }
  return work;
}

/**
 * Carry out the plan's sub-resource lines (`work`): under the project's lock, on the live
 * state read again there (another Slo may just have made a shared channel or monitored
 * service), each kind of object the plan changes is made to match `d`; kinds the plan
 * leaves alone are not written. Returns the state read back afterwards, and whether
 * everything written turned out made by a concurrent apply instead.
 */
export async function applySlo(clients: Clients, d: DesiredSlo, work: PlannedWork, progress: (m: string) => void): Promise<{ live: LiveSlo; byOthers: boolean }> {
  const t = new Tally(progress);
  return withLock(lockKey(d.target.project), async () => {
    const live = await readLive(freshReader(clients), d.target, d.sloId, d.set, d.id);
    const slo = work.get('serviceLevelObjective');
    const moved = slo?.has('replace') && live.slo && !sameMonitoringName(live.sloParent?.name, monitoredName(d, live)) ? live.slo : undefined;
    if (work.has('monitoredService')) await ensureMonitored(clients, d, live, t);
    if (slo) await ensureSlo(clients, d, live, t);
    const channels = work.get('notificationChannel');
    const names = channels?.has('create') || channels?.has('update') || work.has('alertPolicy') ? await ensureChannels(clients, d, live, t) : new Map<string, string>();
    if (work.has('alertPolicy')) await ensurePolicies(clients, d, live, names, t);
    if (channels?.has('delete') || work.get('alertPolicy')?.has('delete')) await deleteDuplicates(clients, d, live, t);
    if (moved) {
      t.progress(`deleting the SLO under its previous service (${moved.name})`);
      t.own++;
      await deleteIgnoringMissing(() => clients.monitoring('ServiceMonitoringServiceClient').deleteServiceLevelObjective({ name: moved.name }));
    }
    return { live: await readLive(freshReader(clients), d.target, d.sloId, d.set, d.id), byOthers: t.own === 0 && t.concurrent > 0 };
  });
}

/**
 * Delete a Slo: its alert policies, the SLO, the set's email channels no policy uses
 * no longer, and the set's monitored service once no SLO is left under it.
 */
export async function deleteSlo(clients: Clients, project: string, sloName: string, set: string, progress: (m: string) => void, name?: string): Promise<void> {
  // The Slo's metadata.name (its policies' identity) is the SLO's ID unless `sloId` is set.
  const id = name ?? sloName.split('/').pop()!;
  const parent = sloName.slice(0, sloName.indexOf('/serviceLevelObjectives/'));
  await withLock(lockKey(project), async () => {
    const ap = clients.monitoring('AlertPolicyServiceClient');
    const sm = clients.monitoring('ServiceMonitoringServiceClient');
    const nc = clients.monitoring('NotificationChannelServiceClient');
    // Monitoring takes no delete precondition: under the lock, right before deleting
    // anything, read the SLO again and leave it alone if another owner took it over.
    const current = await sm.getServiceLevelObjective({ name: sloName }).then(([o]) => o as Obj, (err) => {
      if (isNotFound(err)) return undefined;
      throw err;
    });
    if (current && !ownedBySet(current.userLabels, set)) {
      throw new RunctlError('NotOwned', `Slo/${id} is now managed by ${ownerOf(current.userLabels)}, not by runctl set "${set}"; it was not deleted`, { source: 'user' });
    }
    const before = freshReader(clients);
    for (const p of await listAlertPolicies(before, project)) {
      if (!isSloPolicy(p, set, id) && !(ownedBySet(p.userLabels, set) && burnsSlo(p, sloName))) continue;
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
    const svc = (await listMonitoredServices(after, project)).find((s) => sameMonitoringName(s.name, parent));
    if (svc && ownedBySet(svc.userLabels, set) && !(await listSlos(after, parent)).length) {
      progress(`deleting monitored service ${parent.split('/').pop()}`);
      await deleteIgnoringMissing(() => sm.deleteService({ name: parent }));
    }
  });
}
