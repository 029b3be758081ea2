/** `delete -f PATH`: delete what the manifests name, in reverse dependency order. */
import { executePlan } from '../../engine/executor';
import { hasChanges } from '../../engine/plan';
import { makePlan } from '../../engine/planner';
import type { Io } from '../../lib/io';
import { loadValid } from '../../lib/manifests';
import { renderPlan, renderResults } from '../render';
import { askConsent, requireConsentPossible } from '../consent';
import { describeTarget } from '../../lib/target';
import { confirmDeletions } from './apply';
import { header, withSession, type GlobalFlags } from './common';
import { underLease, type LeaseFlags } from './lease';

export interface DeleteFlags extends GlobalFlags, LeaseFlags {
  filename: string[];
  yes?: boolean;
  dryRun?: boolean;
}

export async function deleteCommand(flags: DeleteFlags, io: Io): Promise<number> {
  // Deleting needs only the identities of what the files name: references to resources
  // outside them are not resolved (DESIGN.md: delete what the manifests name).
  const manifests = await loadValid(flags.filename, io, { flags, identitiesOnly: true });
  if (!flags.dryRun) requireConsentPossible(describeTarget(flags, io), flags, io, 'delete');
  return withSession(flags, io, (o) => underLease(flags, io, o.target, 'delete', async () => {
    const plan = await makePlan(o.session, manifests, { destroy: true });
    io.stdout.write(renderPlan(plan, o.style, header(o), { verb: 'delete' }));
    if (plan.entries.some((e) => e.action === 'blocked')) return 1;
    // Nothing named exists: the plan said so, and there is nothing to execute or report.
    if (flags.dryRun || !hasChanges(plan)) return 0;
    if (!(await askConsent(plan, o.target.info, flags, io, 'delete'))) await confirmDeletions(plan, flags, io, 'delete');
    const result = await executePlan(o.session, plan, { signal: io.signal });
    io.stdout.write(renderResults(result, o.style, { verb: 'delete' }));
    return result.failed ? 1 : 0;
  }, flags.dryRun));
}
