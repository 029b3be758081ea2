/**
 * `rollout status|promote|abort|undo`: progressive delivery by hand, through the
 * `rollout` capability a kind declares (found in the registry, never by importing a
 * kind). The resource is found by name in the manifests given, or else by name in every
 * region of the project.
 */
import type { Controller, Identity, ObserveContext, RolloutCapability } from '../../engine/controller';
import { scopesFor } from '../../engine/planner';
import type { RolloutReport, RolloutResult } from '../../engine/rollout';
import { API_VERSION, RunctlError, type Manifest } from '../../engine/types';
import { controllers } from '../registry';
import type { Opened } from '../session';

export const ROLLOUT_ACTIONS = ['status', 'promote', 'abort', 'undo'] as const;
export type RolloutAction = (typeof ROLLOUT_ACTIONS)[number];

/** The kind that declares the `rollout` capability (Service), found through the registry. */
export function rolloutKind(): { controller: Controller; rollout: RolloutCapability } {
  for (const controller of controllers()) {
    const rollout = controller.capabilities?.rollout;
    if (rollout) return { controller, rollout };
  }
  throw new RunctlError('Usage', 'no kind offers rollouts', { source: 'user' });
}

/** Refuse manifests given with -f that do not declare the named resource (before anything is opened). */
export function checkRolloutNamed(name: string, manifests: Manifest[]): void {
  const kind = rolloutKind().controller.kind;
  if (manifests.length && !manifests.some((m) => m.kind === kind && m.metadata.name === name)) {
    throw new RunctlError('Usage', `${kind}/${name} is not in the manifests given with -f`, { source: 'user' });
  }
}

/** One resource's rollout, located: what the capability's calls need. */
export interface RolloutSubject {
  kind: string;
  rollout: RolloutCapability;
  manifest: Manifest;
  id: Identity;
  ctx: ObserveContext;
}

/**
 * Find the resource a rollout command names: declared in `manifests` (its project,
 * region and gate come from there), else named on the command line and looked up in
 * every region of the project (unless `region` pins it).
 */
export async function locateRollout(o: Opened, req: { name: string; manifests: Manifest[]; region?: string; signal?: AbortSignal }): Promise<RolloutSubject> {
  const { controller, rollout } = rolloutKind();
  const kind = controller.kind;
  checkRolloutNamed(req.name, req.manifests);
  o.session.addManifests(req.manifests);
  const declared = o.session.manifests.get(`${kind}/${req.name}`);
  const manifest: Manifest = declared ?? { apiVersion: API_VERSION, kind, metadata: { name: req.name }, spec: {} };
  const id = declared || req.region ? o.session.identify(manifest) : await findResource(o, kind, req.name);
  return { kind, rollout, manifest, id, ctx: o.session.observeContext(req.signal) };
}

/** The rollout recorded on the resource, with the gate's figures now. */
export function rolloutStatus(s: RolloutSubject): Promise<RolloutReport> {
  return s.rollout.status({ manifest: s.manifest, id: s.id }, s.ctx);
}

/** Promote, abort or undo. */
export function rolloutAct(s: RolloutSubject, action: Exclude<RolloutAction, 'status'>): Promise<RolloutResult> {
  const act = action === 'promote' ? s.rollout.promote : action === 'abort' ? s.rollout.abort : s.rollout.undo;
  return act.call(s.rollout, { manifest: s.manifest, id: s.id }, s.ctx);
}

/**
 * A resource named only on the command line: found by name in every region of the
 * project (one all-regions list), so `rollout status jokes` needs no --region.
 */
async function findResource(o: Opened, kind: string, name: string): Promise<Identity> {
  const live = (await o.session.controllerFor(kind).list(scopesFor(o.session), o.session.observeContext())).filter((r) => r.name === name);
  if (live.length > 1) {
    const regions = live.map((r) => r.identity.region).sort().join(', ');
    throw new RunctlError('Usage', `${kind}/${name} exists in several regions (${regions}): pass --region, or -f with its manifest`, { source: 'user' });
  }
  return live[0]?.identity ?? o.session.identify({ apiVersion: API_VERSION, kind, metadata: { name }, spec: {} });
}
