/** `apply -f PATH...` (plan, then execute) and `apply PLANFILE` (execute a saved plan). */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { executePlan, type ExecuteResult } from '../../engine/executor';
import type { Plan } from '../../engine/plan';
import { makePlan } from '../../engine/planner';
import { checkTarget, verifySavedPlan } from '../../engine/saved-plan';
import { RunctlError } from '../../engine/types';
import type { Io } from '../../lib/io';
import { loadValid } from '../../lib/manifests';
import { renderPlan, renderResults } from '../render';
import { askConsent, requireConsentPossible } from '../consent';
import { describeTarget, targetLine } from '../../lib/target';
import { header, withSession, type GlobalFlags, type Opened } from './common';
import { underLease, type LeaseFlags } from './lease';

export interface ApplyFlags extends GlobalFlags, LeaseFlags {
  filename?: string[];
  dryRun?: boolean;
  prune?: boolean;
  adopt?: boolean;
  /** Accept standard input that holds no manifests. */
  allowEmpty?: boolean;
  yes?: boolean;
}

/** Deletions need a yes: `--yes`, or an answer on a terminal. Without either, refuse. */
export async function confirmDeletions(plan: Plan, flags: { yes?: boolean }, io: Io, verb: string): Promise<void> {
  const deletions = plan.entries.filter((e) => e.action === 'delete');
  if (!deletions.length || flags.yes) return;
  // Where each one is: a pruned resource may be in a region no manifest names.
  const list = deletions.map((e) => `${e.key} (${[e.identity.project, e.identity.region].filter(Boolean).join('/')})`).join(', ');
  if (!io.confirm) {
    throw new RunctlError('Refused', `${verb} would delete ${deletions.length} resource(s) (${list}); re-run with --yes to confirm (no terminal to ask on)`, { source: 'user' });
  }
  const ok = await io.confirm(`${verb} will delete ${deletions.length} resource(s): ${list}. Continue?`);
  if (!ok) throw new RunctlError('Refused', 'cancelled: nothing was deleted', { source: 'user' });
}

function finishApply(o: Opened, plan: Plan, result: ExecuteResult, flags: ApplyFlags, io: Io): number {
  if (flags.output === 'json') {
    io.stdout.write(JSON.stringify({ plan, results: result.results.map((r) => ({ ...r, conditions: conditions(r) })) }, null, 2) + '\n');
  } else {
    io.stdout.write(renderResults(result, o.style));
  }
  return result.failed ? 1 : 0;
}

function conditions(r: ExecuteResult['results'][number]) {
  const ready = r.status?.ready;
  return [
    { type: 'Ready', status: ready?.status ?? 'Unknown', reason: ready?.reason ?? (r.action === 'delete' ? 'Deleting' : 'Unavailable'), message: ready?.message },
    { type: 'Synced', status: r.synced === 'ReconcileSuccess' ? 'True' : r.synced === 'ReconcilePaused' ? 'False' : 'False', reason: r.synced, message: r.error },
  ];
}

export async function applyCommand(flags: ApplyFlags, planFile: string | undefined, io: Io): Promise<number> {
  if (planFile && flags.filename?.length) throw new RunctlError('Usage', 'give either -f PATH or a saved PLANFILE, not both', { source: 'user' });
  if (planFile) return applySaved(flags, planFile, io);
  const manifests = await loadValid(flags.filename ?? [], io, { flags, refuseEmptyStdin: !flags.allowEmpty });
  // An empty set with --prune means "delete everything of the set": only on an explicit
  // --yes, never on a prompt answered by habit.
  if (flags.prune && !manifests.length && !flags.yes) {
    throw new RunctlError('Refused', `apply --prune with no manifests would delete every resource of set "${flags.set ?? 'default'}"; re-run with --yes if that is what you want`, { source: 'user' });
  }
  if (!flags.dryRun) requireConsentPossible(describeTarget(flags, io), flags, io, 'apply');
  return withSession(flags, io, (o) => underLease(flags, io, o.target, 'apply', async () => {
    const plan = await makePlan(o.session, manifests, { prune: flags.prune, adopt: flags.adopt });
    if (flags.output !== 'json') io.stdout.write(renderPlan(plan, o.style, header(o)));
    if (flags.dryRun) {
      if (flags.output === 'json') io.stdout.write(JSON.stringify({ header: header(o), ...plan }, null, 2) + '\n');
      else io.stdout.write('Dry run: nothing was changed.\n');
      return plan.entries.some((e) => e.action === 'blocked') ? 1 : 0;
    }
    // On real Google Cloud one answer covers the whole plan, its deletions included.
    if (!(await askConsent(plan, o.target.info, flags, io, 'apply'))) await confirmDeletions(plan, flags, io, 'apply --prune');
    const result = await executePlan(o.session, plan, { prune: flags.prune, adopt: flags.adopt, signal: io.signal });
    return finishApply(o, plan, result, flags, io);
  }, flags.dryRun));
}

/**
 * `apply PLANFILE`: verify the file's digest (any edit is refused), check the target,
 * print the plan as recorded, check every live object against it (stale: refused), then
 * execute exactly the recorded desired states.
 */
async function applySaved(flags: ApplyFlags, file: string, io: Io): Promise<number> {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(path.resolve(io.cwd, file), 'utf8'));
  } catch (err) {
    if (err instanceof SyntaxError) {
      throw new RunctlError('PlanEdited', `the saved plan ${file} was edited or is corrupted (it is not valid JSON: ${err.message}); it is refused and nothing was changed`, { source: 'user' });
    }
    throw new RunctlError('Usage', `cannot read plan file ${file}: ${(err as Error).message}`, { source: 'user' });
  }
  const plan = verifySavedPlan(raw, file);
  requireConsentPossible(describeTarget(flags, io), flags, io, 'apply');
  return withSession({ ...flags, set: plan.set }, io, (o) => underLease({ ...flags, set: plan.set }, io, o.target, 'apply', async () => {
    checkTarget(plan, o.target.info, file);
    // The recorded, resolved manifests stand in for the files: nothing is re-read.
    o.session.addManifests(plan.entries.flatMap((e) => (e.manifest && !e.pruned ? [e.manifest] : [])));
    for (const e of plan.entries) o.session.identities.set(e.key, e.identity);
    io.stdout.write(renderPlan(plan, o.style, targetLine(o.target.info, plan.target.projects)));
    if (!(await askConsent(plan, o.target.info, flags, io, 'apply'))) await confirmDeletions(plan, flags, io, 'apply');
    const result = await executePlan(o.session, plan, { checkEtags: true, recorded: true, signal: io.signal });
    return finishApply(o, plan, result, flags, io);
  }));
}
