/**
 * `plan` / `diff`: what would change, read from the target; never writes. A saved plan
 * is sealed and written to a private file for `apply PLANFILE`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { hasDifferences, type Plan } from '../../engine/plan';
import { makePlan, type PlanOptions } from '../../engine/planner';
import { sealPlan } from '../../engine/saved-plan';
import { RunctlError, type Manifest } from '../../engine/types';
import type { Opened } from '../session';
import { targetLine } from '../target';

export interface PlanRequest {
  manifests: Manifest[];
  prune?: boolean;
  adopt?: boolean;
}

/** A plan and the target line it was made against (the first line people see). */
export interface PlanOutcome {
  plan: Plan;
  header: string;
}

/** The target line for what the session has identified: the projects its resources live in. */
export function planHeader(o: Opened): string {
  const projects = [...new Set([...o.session.identities.values()].map((i) => i.project))].sort();
  return targetLine(o.target.info, projects);
}

/** Plan a set against the live state. */
export async function planSet(o: Opened, req: PlanRequest, extra: Pick<PlanOptions, 'destroy'> = {}): Promise<PlanOutcome> {
  const plan = await makePlan(o.session, req.manifests, { prune: req.prune, adopt: req.adopt, ...extra });
  return { plan, header: planHeader(o) };
}

/** Whether a plan refuses some resource (an unowned object in the way, say). */
export function isBlocked(plan: Plan): boolean {
  return plan.entries.some((e) => e.action === 'blocked');
}

/** `plan`'s exit code (DESIGN.md): 1 when something is blocked, 2 when there are changes, else 0. */
export function planExitCode(plan: Plan): number {
  if (isBlocked(plan)) return 1;
  return hasDifferences(plan) ? 2 : 0;
}

/**
 * Save a sealed plan (see `saved-plan.ts`). Plans hold configuration values, so the
 * file is private (0600), and a directory runctl creates for it is too (0700). The file
 * is written under a temporary name and renamed, so a reader never sees half a plan and
 * an existing file's wider mode is not kept.
 */
export function writePlanFile(file: string, plan: Plan, headerLine: string, cwd: string): void {
  const target = path.resolve(cwd, file);
  const dir = path.dirname(target);
  if (!fs.existsSync(dir)) {
    const first = fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    // mkdir's mode is narrowed by the umask but never widened: set it exactly.
    for (let d = dir; first && d.length >= first.length; d = path.dirname(d)) fs.chmodSync(d, 0o700);
  }
  const tmp = path.join(dir, `.${path.basename(target)}.${process.pid}.tmp`);
  try {
    fs.rmSync(tmp, { force: true });
    fs.writeFileSync(tmp, JSON.stringify(sealPlan(plan, headerLine), null, 2) + '\n', { mode: 0o600, flag: 'wx' });
    fs.chmodSync(tmp, 0o600);
    fs.renameSync(tmp, target);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw new RunctlError('Usage', `cannot write plan file ${file}: ${(err as Error).message}`, { source: 'user' });
  }
}
