/** `delete`: delete what the manifests name, in reverse dependency order. */
import { executePlan } from '../../engine/executor';
import { hasChanges } from '../../engine/plan';
import type { Manifest } from '../../engine/types';
import type { Opened } from '../session';
import type { ApplyOutcome, ReviewHooks } from './apply';
import { isBlocked, planSet } from './plan';

export interface DeleteRequest {
  manifests: Manifest[];
  dryRun?: boolean;
}

/**
 * Plan the deletions, show them, and carry them out after confirmation. Nothing is
 * executed when the plan is blocked, on a dry run, or when nothing named exists.
 */
export async function deleteSet(o: Opened, req: DeleteRequest, hooks: ReviewHooks = {}): Promise<ApplyOutcome> {
  const { plan, header } = await planSet(o, { manifests: req.manifests }, { destroy: true });
  hooks.show?.(plan, header);
  if (isBlocked(plan) || req.dryRun || !hasChanges(plan)) return { plan, header };
  await hooks.confirm?.(plan);
  const result = await executePlan(o.session, plan, { signal: hooks.signal });
  return { plan, header, result };
}
