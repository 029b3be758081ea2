/**
 * `google.monitoring.v3.NotificationChannelService`: channels with server-assigned
 * numeric IDs, labels validated against their descriptor, `verificationStatus`
 * (UNVERIFIED for email/SMS channels created through the API, as the real service
 * does), `creationRecord`/`mutationRecords`, and the channel descriptors.
 */
import type { EmulatorCore } from '../../core';
import { EmulatorError, Code } from '../../core';
import { descriptorDef, descriptorMessage, descriptors, NEEDS_VERIFICATION } from './channel-descriptors';
import { evalFilter, objectResolver, parseFilter } from './filter';
import { stripOneofs } from './oneofs';
import { sortBy } from './order-by';
import {
  applyMask, clone, compact, invalid, maskPaths, monitoringState, mutationRecord, notFound, numericId, paginate, projectOf,
  validateUserLabels,
} from './state';

const MUTABLE = ['displayName', 'description', 'labels', 'userLabels', 'enabled'];

function validateChannel(ch: any): void {
  const def = descriptorDef(ch.type);
  if (!def) invalid(`Field notification_channel.type had an invalid value of "${ch.type ?? ''}": unknown channel type.`);
  const labels: Record<string, string> = ch.labels ?? {};
  for (const key of Object.keys(labels)) {
    if (!def.labels.some((l) => l.key === key)) invalid(`Field notification_channel.labels had an invalid key "${key}" for channel type "${ch.type}".`);
  }
  for (const l of def.labels) {
    if (l.required && !labels[l.key]) invalid(`Field notification_channel.labels.${l.key} is required for channel type "${ch.type}".`);
  }
  if (ch.type === 'email' && !/^[^@\s]+@[^@\s]+$/.test(labels.email_address)) {
    invalid(`Field notification_channel.labels.email_address had an invalid value of "${labels.email_address}".`);
  }
  validateUserLabels(ch.userLabels, 'notification_channel.user_labels');
}

function fields(input: any): any {
  const c = stripOneofs(clone(input ?? {}));
  return compact({ type: c.type, displayName: c.displayName, description: c.description, labels: c.labels, userLabels: c.userLabels, enabled: c.enabled });
}

function stored(core: EmulatorCore, name: string): any {
  const ch = monitoringState(core).channels[name];
  if (!ch) notFound(name);
  return ch;
}

/** CreateNotificationChannel (the parent is the request's `name`). */
export function createChannel(core: EmulatorCore, req: any): any {
  const project = projectOf(req.name);
  const body = fields(req.notificationChannel);
  validateChannel(body);
  const st = monitoringState(core);
  const name = `projects/${project}/notificationChannels/${numericId((id) => !!st.channels[`projects/${project}/notificationChannels/${id}`])}`;
  const record = mutationRecord(core);
  const ch = compact({
    ...body,
    name,
    enabled: body.enabled ?? { value: true },
    verificationStatus: NEEDS_VERIFICATION.has(body.type) ? 'UNVERIFIED' : 'VERIFICATION_STATUS_UNSPECIFIED',
    creationRecord: record,
    mutationRecords: [record],
  });
  st.channels[name] = ch;
  return clone(ch);
}

/** GetNotificationChannel. */
export function getChannel(core: EmulatorCore, req: any): any {
  return clone(stored(core, String(req.name ?? '')));
}

/** ListNotificationChannels (filter, order_by, paging, total_size). */
export function listChannels(core: EmulatorCore, req: any): any {
  const project = projectOf(req.name);
  const filter = parseFilter(req.filter);
  const all = Object.values(monitoringState(core).channels).filter(
    (c: any) => c.name.startsWith(`projects/${project}/notificationChannels/`) && evalFilter(filter, objectResolver(c)),
  );
  const sorted = sortBy(all, req.orderBy);
  const { page, nextPageToken } = paginate(sorted, req.pageSize, req.pageToken);
  return { notificationChannels: clone(page), nextPageToken, totalSize: sorted.length };
}

/** UpdateNotificationChannel; the type cannot change, and a changed address needs verifying again. */
export function updateChannel(core: EmulatorCore, req: any): any {
  const incoming = stripOneofs(clone(req.notificationChannel ?? {}));
  const name = String(incoming.name ?? '');
  const existing = stored(core, name);
  if (incoming.type && incoming.type !== existing.type) invalid('Field notification_channel.type cannot be changed.');
  const paths = maskPaths(req.updateMask);
  const next = paths
    ? applyMask(existing, fields(incoming), paths, MUTABLE, { aliases: { user_label: 'userLabels' }, maps: ['userLabels', 'labels'] })
    : { ...fields({ ...incoming, type: existing.type }), name, verificationStatus: existing.verificationStatus, creationRecord: existing.creationRecord };
  next.enabled ??= { value: true };
  compact(next);
  validateChannel(next);
  if (NEEDS_VERIFICATION.has(next.type) && JSON.stringify(next.labels) !== JSON.stringify(existing.labels)) next.verificationStatus = 'UNVERIFIED';
  next.mutationRecords = [...(existing.mutationRecords ?? []), mutationRecord(core)];
  monitoringState(core).channels[name] = next;
  return clone(next);
}

/** DeleteNotificationChannel; refused while alert policies use it unless `force`. */
export function deleteChannel(core: EmulatorCore, req: any): any {
  const name = String(req.name ?? '');
  stored(core, name);
  const st = monitoringState(core);
  const users = Object.values(st.alertPolicies).filter((p: any) => (p.notificationChannels ?? []).includes(name));
  if (users.length && !req.force) {
    throw new EmulatorError(
      Code.FAILED_PRECONDITION,
      `Notification channel ${name} is referenced by alert policies (${users.map((p: any) => p.name).join(', ')}); set force to delete it anyway.`,
    );
  }
  for (const p of users as any[]) p.notificationChannels = p.notificationChannels.filter((c: string) => c !== name);
  delete st.channels[name];
  return {};
}

/** ListNotificationChannelDescriptors. */
export function listDescriptors(core: EmulatorCore, req: any): any {
  const project = projectOf(req.name);
  const { page, nextPageToken } = paginate(descriptors(project), req.pageSize, req.pageToken);
  return { channelDescriptors: page, nextPageToken };
}

/** GetNotificationChannelDescriptor. */
export function getDescriptor(_core: EmulatorCore, req: any): any {
  const name = String(req.name ?? '');
  const m = /^projects\/([^/]+)\/notificationChannelDescriptors\/([^/]+)$/.exec(name);
  const def = m ? descriptorDef(m[2]) : undefined;
  if (!m || !def) notFound(name);
  return descriptorMessage(m[1], def);
}
