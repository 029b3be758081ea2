/**
 * A read-only view of Cloud Run state for other emulator modules (the traffic model,
 * load balancer backends, monitoring): services with their live traffic split and the
 * images behind it, revisions, and who may invoke a service.
 */
import type { EmulatorCore } from '../../core';
import { readyState } from './conditions';
import { policyOf } from './iam';
import { clone, lastSegment, runNs, type Obj, type RevisionRecord } from './state';

/** One live traffic target: a concrete revision and its share. */
export interface RunTrafficView {
  /** Revision id, e.g. `jokes-00002-abc`. */
  revision: string;
  percent: number;
  tag?: string;
  /** Tag URL when tagged. */
  uri?: string;
  /** Container images of the revision (ingress container first). */
  images: string[];
}

/** A service as other modules see it. */
export interface RunServiceView {
  /** `projects/{p}/locations/{l}/services/{s}` */
  name: string;
  project: string;
  location: string;
  serviceId: string;
  uri: string;
  urls: string[];
  ingress: string;
  labels: Record<string, string>;
  generation: number;
  /** Terminal condition succeeded and no operation running. */
  ready: boolean;
  reconciling: boolean;
  /** Revision ids (short), '' when none. */
  latestReadyRevision: string;
  latestCreatedRevision: string;
  /** What serves requests now (from trafficStatuses), percentages summing to 100 when ready. */
  traffic: RunTrafficView[];
  /** `allUsers` holds roles/run.invoker, or the invoker check is disabled. */
  public: boolean;
  invokerIamDisabled: boolean;
  /** The Service as GetService returns it (a copy). */
  raw: Obj;
}

/** A revision as other modules see it. */
export interface RunRevisionView {
  /** Full revision name. */
  name: string;
  revisionId: string;
  /** Full name of its service. */
  service: string;
  images: string[];
  ready: boolean;
  failed: boolean;
  createTimeMs: number;
  maxInstanceRequestConcurrency: number;
  minInstanceCount: number;
  maxInstanceCount: number;
  /** The Revision as GetRevision returns it (a copy). */
  raw: Obj;
}

/** Typed accessors over the Cloud Run state. */
export interface RunStateView {
  /** Services, optionally of one project and/or location, newest first. */
  services(filter?: { project?: string; location?: string }): RunServiceView[];
  service(name: string): RunServiceView | undefined;
  /** Revisions of a service (full name), or of all services; newest first. */
  revisions(serviceName?: string): RunRevisionView[];
  revision(name: string): RunRevisionView | undefined;
  /** IAM bindings of a service (empty when never set). */
  iamBindings(serviceName: string): Array<{ role: string; members: string[] }>;
}

function images(containers: Obj[] | undefined): string[] {
  const list = containers ?? [];
  const ingress = list.findIndex((c) => c.ports?.length);
  const ordered = ingress > 0 ? [list[ingress], ...list.filter((_, i) => i !== ingress)] : list;
  return ordered.map((c) => c.image);
}

function revisionView(rec: RevisionRecord): RunRevisionView {
  const r = rec.revision;
  const state = readyState(r.conditions);
  return {
    name: r.name,
    revisionId: lastSegment(r.name),
    service: r.name.slice(0, r.name.indexOf('/revisions/')),
    images: images(r.containers),
    ready: state === 'CONDITION_SUCCEEDED',
    failed: state === 'CONDITION_FAILED',
    createTimeMs: rec.createMs,
    maxInstanceRequestConcurrency: r.maxInstanceRequestConcurrency ?? 80,
    minInstanceCount: r.scaling?.minInstanceCount ?? 0,
    maxInstanceCount: r.scaling?.maxInstanceCount ?? 100,
    raw: clone(r),
  };
}

/** Accessors over the emulator's Cloud Run state (live: each call reads current state). */
export function runState(core: EmulatorCore): RunStateView {
  const serviceView = (s: Obj): RunServiceView => {
    const st = runNs(core);
    const [, project, , location, , serviceId] = s.name.split('/');
    const bindings = policyOf(core, s.name).bindings;
    const allUsersInvoker = bindings.some((b) => b.role === 'roles/run.invoker' && b.members.includes('allUsers'));
    return {
      name: s.name,
      project,
      location,
      serviceId,
      uri: s.uri ?? '',
      urls: s.urls ?? [],
      ingress: s.ingress,
      labels: { ...(s.labels ?? {}) },
      generation: Number(s.generation),
      ready: !s.reconciling && s.terminalCondition?.state === 'CONDITION_SUCCEEDED',
      reconciling: !!s.reconciling,
      latestReadyRevision: lastSegment(s.latestReadyRevision ?? ''),
      latestCreatedRevision: lastSegment(s.latestCreatedRevision ?? ''),
      traffic: (s.trafficStatuses ?? []).map((t: Obj) => {
        // LATEST entries do not name their revision: it is the latest ready one.
        const revision: string = t.revision || lastSegment(s.latestReadyRevision ?? '');
        return {
          revision,
          percent: t.percent ?? 0,
          ...(t.tag ? { tag: t.tag, uri: t.uri } : {}),
          images: images(st.revisions[`${s.name}/revisions/${revision}`]?.revision.containers),
        };
      }),
      public: allUsersInvoker || !!s.invokerIamDisabled,
      invokerIamDisabled: !!s.invokerIamDisabled,
      raw: clone(s),
    };
  };
  return {
    services(filter = {}) {
      return Object.values(runNs(core).services)
        .filter((r) => {
          const [, project, , location] = r.service.name.split('/');
          return (!filter.project || filter.project === project) && (!filter.location || filter.location === location);
        })
        .sort((a, b) => b.createMs - a.createMs || b.seq - a.seq)
        .map((r) => serviceView(r.service));
    },
    service(name) {
      const rec = runNs(core).services[name];
      return rec ? serviceView(rec.service) : undefined;
    },
    revisions(serviceName) {
      return Object.values(runNs(core).revisions)
        .filter((r) => !serviceName || r.revision.name.startsWith(`${serviceName}/revisions/`))
        .sort((a, b) => b.createMs - a.createMs || b.seq - a.seq)
        .map(revisionView);
    },
    revision(name) {
      const rec = runNs(core).revisions[name];
      return rec ? revisionView(rec) : undefined;
    },
    iamBindings(serviceName) {
      return clone(policyOf(core, serviceName).bindings) as Array<{ role: string; members: string[] }>;
    },
  };
}
