/**
 * `apply`: plan a set and carry the plan out, or carry out a saved plan exactly as it
 * was reviewed. The caller shows the plan and asks for consent through the hooks; the
 * action never prints.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { executePlan, type ExecuteResult } from '../../engine/executor';
import type { Plan } from '../../engine/plan';
import { checkTarget, verifySavedPlan } from '../../engine/saved-plan';
import { RunctlError } from '../../engine/types';
import type { Opened } from '../session';
import { targetLine } from '../target';
import { planSet, type PlanRequest } from './plan';

/** How the caller takes part: sees the plan, then agrees to it (or throws to refuse). */
export interface ReviewHooks {
  /** The plan, once made (before any write). */
  show?(plan: Plan, header: string): void;
  /** Called before the first write only; throw a `RunctlError` to refuse. */
  confirm?(plan: Plan): Promise<void>;
  signal?: AbortSignal;
}

export interface ApplyRequest extends PlanRequest {
  /** Plan only. */
  dryRun?: boolean;
}

/** The plan, and what executing it did (absent on a dry run). */
export interface ApplyOutcome {
  plan: Plan;
  header: string;
  result?: ExecuteResult;
}

/** Plan the set, show it, and (unless a dry run) confirm and execute it. */
export async function applySet(o: Opened, req: ApplyRequest, hooks: ReviewHooks = {}): Promise<ApplyOutcome> {
  const { plan, header } = await planSet(o, req);
  hooks.show?.(plan, header);
  if (req.dryRun) return { plan, header };
  await hooks.confirm?.(plan);
  const result = await executePlan(o.session, plan, { prune: req.prune, adopt: req.adopt, signal: hooks.signal });
  return { plan, header, result };
}

/** Read a saved plan and verify its seal (any edit is refused). */
export function readSavedPlan(file: string, cwd: string): Plan {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(path.resolve(cwd, file), 'utf8'));
  } catch (err) {
    if (err instanceof SyntaxError) {
      throw new RunctlError('PlanEdited', `the saved plan ${file} was edited or is corrupted (it is not valid JSON: ${err.message}); it is refused and nothing was changed`, { source: 'user' });
    }
    throw new RunctlError('Usage', `cannot read plan file ${file}: ${(err as Error).message}`, { source: 'user' });
  }
  return verifySavedPlan(raw, file);
}

/**
 * `apply PLANFILE`: check the target, show the plan as recorded, then execute exactly
 * the recorded desired states (every live object is checked against the plan first:
 * stale is refused). The session must be of the plan's set.
 */
export async function applySavedPlan(o: Opened, plan: Plan, file: string, hooks: ReviewHooks = {}): Promise<ApplyOutcome> {
  checkTarget(plan, o.target.info, file);
  // The recorded, resolved manifests stand in for the files: nothing is re-read.
  o.session.addManifests(plan.entries.flatMap((e) => (e.manifest && !e.pruned ? [e.manifest] : [])));
  for (const e of plan.entries) o.session.identities.set(e.key, e.identity);
  const header = targetLine(o.target.info, plan.target.projects);
  hooks.show?.(plan, header);
  await hooks.confirm?.(plan);
  const result = await executePlan(o.session, plan, { checkEtags: true, recorded: true, signal: hooks.signal });
  return { plan, header, result };
}
