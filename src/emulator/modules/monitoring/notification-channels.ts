/**
 * `google.monitoring.v3.NotificationChannelService`, as a descriptor for the generic CRUD
 * (`crud.ts`): channels with server-assigned
 * numeric IDs, labels validated against their descriptor, `verificationStatus`
 * (UNVERIFIED for email/SMS channels created through the API, as the real service
 * does), `creationRecord`/`mutationRecords`, and the channel descriptors.
 */
import type { EmulatorCore } from '../../core';
import { EmulatorError, Code } from '../../errors';
import { descriptorDef, descriptorMessage, descriptors, NEEDS_VERIFICATION } from './channel-descriptors';
import type { MonitoringResourceType } from './resource-type';
import { clone, compact, invalid, monitoringState, mutationRecord, notFound, paginate, projectOf, validateUserLabels } from './state';

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
  const c = clone(input ?? {});
  return compact({ type: c.type, displayName: c.displayName, description: c.description, labels: c.labels, userLabels: c.userLabels, enabled: c.enabled });
}

/** The NotificationChannel resource type (the parent of Create and List is the request's `name`). */
export const channelType: MonitoringResourceType = {
  noun: 'NotificationChannel',
  plural: 'NotificationChannels',
  store: 'channels',
  field: 'notificationChannel',
  listField: 'notificationChannels',
  parentField: 'name',
  collection(_core, parent) {
    const project = projectOf(parent);
    return { project, path: `projects/${project}/notificationChannels` };
  },
  listPrefix: (_core, parent) => `projects/${projectOf(parent)}/notificationChannels/`,
  id: { assign: 'numeric' },
  create(input, { core, name }) {
    const body = fields(input);
    validateChannel(body);
    const record = mutationRecord(core);
    return {
      ...body,
      name,
      enabled: body.enabled ?? { value: true },
      verificationStatus: NEEDS_VERIFICATION.has(body.type) ? 'UNVERIFIED' : 'VERIFICATION_STATUS_UNSPECIFIED',
      creationRecord: record,
      mutationRecords: [record],
    };
  },
  mutable: MUTABLE,
  mask: { aliases: { user_label: 'userLabels' }, maps: ['userLabels', 'labels'] },
  maskInput: fields,
  // The type cannot change; a changed address needs verifying again.
  checkUpdate(incoming, { existing }) {
    if (incoming.type && incoming.type !== existing.type) invalid('Field notification_channel.type cannot be changed.');
  },
  replace: (incoming, { name, existing }) => ({
    ...fields({ ...incoming, type: existing.type }),
    name,
    verificationStatus: existing.verificationStatus,
    creationRecord: existing.creationRecord,
  }),
  finishUpdate(next, { core, existing }) {
    next.enabled ??= { value: true };
    validateChannel(next);
    if (NEEDS_VERIFICATION.has(next.type) && JSON.stringify(next.labels) !== JSON.stringify(existing.labels)) next.verificationStatus = 'UNVERIFIED';
    next.mutationRecords = [...(existing.mutationRecords ?? []), mutationRecord(core)];
  },
  ordered: true,
  // Refused while alert policies use the channel unless `force`; with it, they drop it.
  beforeDelete(core, name, req) {
    const st = monitoringState(core);
    const users = Object.values(st.alertPolicies).filter((p: any) => (p.notificationChannels ?? []).includes(name));
    if (users.length && !req.force) {
      throw new EmulatorError(
        Code.FAILED_PRECONDITION,
        `Notification channel ${name} is referenced by alert policies (${users.map((p: any) => p.name).join(', ')}); set force to delete it anyway.`,
      );
    }
    for (const p of users as any[]) p.notificationChannels = p.notificationChannels.filter((c: string) => c !== name);
  },
};

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
