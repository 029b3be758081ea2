/** `delete -f PATH`: delete what the manifests name, in reverse dependency order. */
import { deleteSet } from '../../lib/actions/delete';
import { isBlocked } from '../../lib/actions/plan';
import type { Io } from '../../lib/io';
import { loadValid } from '../../lib/manifests';
import { describeTarget } from '../../lib/target';
import { askConsent, requireConsentPossible } from '../consent';
import { renderPlan, renderResults } from '../render';
import { confirmDeletions } from './apply';
import { withSession, type GlobalFlags } from './common';
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
    const out = await deleteSet(o, { manifests, dryRun: flags.dryRun }, {
      show: (plan, header) => io.stdout.write(renderPlan(plan, o.style, header, { verb: 'delete' })),
      confirm: async (plan) => {
        if (!(await askConsent(plan, o.target.info, flags, io, 'delete'))) await confirmDeletions(plan, flags, io, 'delete');
      },
      signal: io.signal,
    });
    if (isBlocked(out.plan)) return 1;
    // Nothing named exists, or a dry run: the plan said so, and there is nothing to report.
    if (!out.result) return 0;
    io.stdout.write(renderResults(out.result, o.style, { verb: 'delete' }));
    return out.result.failed ? 1 : 0;
  }, flags.dryRun));
}
