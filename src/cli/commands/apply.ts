/** `apply -f PATH...` (plan, then execute) and `apply PLANFILE` (execute a saved plan). */
import { resultConditions } from '../../engine/conditions';
import type { ExecuteResult } from '../../engine/executor';
import type { Plan } from '../../engine/plan';
import { RunctlError } from '../../engine/types';
import { applySavedPlan, applySet, readSavedPlan } from '../../lib/actions/apply';
import { isBlocked } from '../../lib/actions/plan';
import type { Io } from '../../lib/io';
import { loadValid } from '../../lib/manifests';
import { renderPlan, renderResults } from '../render';
import { askConsent, requireConsentPossible } from '../consent';
import { describeTarget } from '../../lib/target';
import { withSession, type GlobalFlags, type Opened } from './common';
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
    io.stdout.write(JSON.stringify({ plan, results: result.results.map((r) => ({ ...r, conditions: resultConditions(r) })) }, null, 2) + '\n');
  } else {
    io.stdout.write(renderResults(result, o.style));
  }
  return result.failed ? 1 : 0;
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
    const out = await applySet(o, { manifests, prune: flags.prune, adopt: flags.adopt, dryRun: flags.dryRun }, {
      show: (plan, head) => {
        if (flags.output !== 'json') io.stdout.write(renderPlan(plan, o.style, head));
      },
      // On real Google Cloud one answer covers the whole plan, its deletions included.
      confirm: async (plan) => {
        if (!(await askConsent(plan, o.target.info, flags, io, 'apply'))) await confirmDeletions(plan, flags, io, 'apply --prune');
      },
      signal: io.signal,
    });
    if (!out.result) {
      if (flags.output === 'json') io.stdout.write(JSON.stringify({ header: out.header, ...out.plan }, null, 2) + '\n');
      else io.stdout.write('Dry run: nothing was changed.\n');
      return isBlocked(out.plan) ? 1 : 0;
    }
    return finishApply(o, out.plan, out.result, flags, io);
  }, flags.dryRun));
}

/**
 * `apply PLANFILE`: verify the file's digest (any edit is refused), check the target,
 * print the plan as recorded, check every live object against it (stale: refused), then
 * execute exactly the recorded desired states.
 */
async function applySaved(flags: ApplyFlags, file: string, io: Io): Promise<number> {
  const plan = readSavedPlan(file, io.cwd);
  requireConsentPossible(describeTarget(flags, io), flags, io, 'apply');
  return withSession({ ...flags, set: plan.set }, io, (o) => underLease({ ...flags, set: plan.set }, io, o.target, 'apply', async () => {
    const out = await applySavedPlan(o, plan, file, {
      show: (p, head) => io.stdout.write(renderPlan(p, o.style, head)),
      confirm: async (p) => {
        if (!(await askConsent(p, o.target.info, flags, io, 'apply'))) await confirmDeletions(p, flags, io, 'apply');
      },
      signal: io.signal,
    });
    return finishApply(o, out.plan, out.result!, flags, io);
  }));
}
