/** `diff -f` / `plan -f`: show the plan; exit 2 when it has changes. */
import type { Io } from '../../lib/io';
import { planExitCode, planSet, writePlanFile } from '../../lib/actions/plan';
import { loadValid } from '../../lib/manifests';
import { renderPlan } from '../render';
import { withSession, type GlobalFlags } from './common';

export interface PlanFlags extends GlobalFlags {
  filename: string[];
  prune?: boolean;
  adopt?: boolean;
  /** Accept standard input that holds no manifests. */
  allowEmpty?: boolean;
  out?: string;
}

export async function planCommand(flags: PlanFlags, io: Io): Promise<number> {
  const manifests = await loadValid(flags.filename, io, { flags, refuseEmptyStdin: !flags.allowEmpty });
  return withSession(flags, io, async (o) => {
    const { plan, header } = await planSet(o, { manifests, prune: flags.prune, adopt: flags.adopt });
    if (flags.output === 'json') io.stdout.write(JSON.stringify({ header, ...plan }, null, 2) + '\n');
    else io.stdout.write(renderPlan(plan, o.style, header));
    if (flags.out) {
      writePlanFile(flags.out, plan, header, io.cwd);
      if (flags.output !== 'json') io.stdout.write(`Saved the plan to ${flags.out}; run "runctl apply ${flags.out}" to execute exactly this plan.\n`);
    }
    return planExitCode(plan);
  });
}
