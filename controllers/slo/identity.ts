/**
 * Slo, finding its server-named objects (alert policies, email channels) by their
 * identity labels, and creating them once (see `./create-once.ts`): look before
 * creating, look after an unknown outcome, and converge with a concurrent creator.
 */
import type { Clients } from '../../src/gcp/clients';
import { apiError, GrpcCode, isNotFound } from '../../src/gcp/errors';
import { createOnce, keeperFirst } from './create-once';
import { retryConcurrentEdits } from './project-lock';
import type { Obj } from './model';

/**
 * Progress lines, and a count of what this apply made itself versus found made by a
 * concurrent apply (so a Slo another process created is not reported as created here).
 */
export class Tally {
  own = 0;
  concurrent = 0;
  constructor(readonly progress: (m: string) => void) {}
}

/**
 * The Monitoring filter for objects carrying these labels, in the spelling of Google's
 * "Sorting and filtering" reference (`user_label.KEY = "VALUE"`).
 */
function identityFilter(labels: Record<string, string>): string {
  return Object.entries(labels)
    .map(([k, v]) => `user_label.${k} = ${JSON.stringify(v)}`)
    .join(' AND ');
}

/**
 * The objects carrying one identity, fresh (never memoised), keeper first. Filtered by the
 * server; should the API refuse the filter (label keys with dashes in a field path), the
 * whole collection is listed and filtered here.
 */
export async function listByIdentity(clients: Clients, what: 'policies' | 'channels', project: string, labels: Record<string, string>): Promise<Obj[]> {
  const list = async (filter?: string) => {
    const req = { name: `projects/${project}`, ...(filter ? { filter } : {}) };
    const it =
      what === 'policies'
        ? clients.monitoring('AlertPolicyServiceClient').listAlertPoliciesAsync(req, { autoPaginate: false })
        : clients.monitoring('NotificationChannelServiceClient').listNotificationChannelsAsync(req, { autoPaginate: false });
    const out: Obj[] = [];
    for await (const x of it as AsyncIterable<Obj>) out.push(x);
    return out;
  };
  let found: Obj[];
  try {
    found = await list(identityFilter(labels));
  } catch (err) {
    if (apiError(err).code !== GrpcCode.INVALID_ARGUMENT) throw err;
    found = await list();
  }
  return keeperFirst(found.filter((o) => Object.entries(labels).every(([k, v]) => o.userLabels?.[k] === v)));
}

/**
 * Create a server-named object once (see `create-once.ts`), then look again: when a
 * concurrent runctl made one with the same identity first, keep the older one and delete
 * ours, so both processes end with the same single object.
 */
export async function createConverged(clients: Clients, o: { what: string; kind: 'policies' | 'channels'; project: string; identity: Record<string, string>; create: () => Promise<Obj>; remove: (name: string) => Promise<unknown>; tally: Tally }): Promise<Obj> {
  const lookup = async () => (await listByIdentity(clients, o.kind, o.project, o.identity))[0];
  const made = await createOnce({ what: o.what, create: o.create, lookup, progress: o.tally.progress });
  const keeper = (await lookup()) ?? made;
  if (keeper.name === made.name) o.tally.own++;
  else {
    o.tally.concurrent++;
    o.tally.progress(`${o.what}: another runctl made it at the same time; keeping ${keeper.name}, deleting ${made.name}`);
    await deleteIgnoringMissing(() => o.remove(made.name));
  }
  return keeper;
}

/** Delete, treating an object already gone as deleted. */
export async function deleteIgnoringMissing(fn: () => Promise<unknown>): Promise<void> {
  try {
    await retryConcurrentEdits(fn);
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
}
