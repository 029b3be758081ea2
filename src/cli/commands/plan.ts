/** `diff -f` / `plan -f`: show the plan; exit 2 when it has changes. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { hasDifferences, type Plan } from '../../engine/plan';
import { makePlan } from '../../engine/planner';
import type { Io } from '../io';
import { loadValid } from '../manifests';
import { renderPlan } from '../render';
import { header, withSession, type GlobalFlags } from './common';

export interface PlanFlags extends GlobalFlags {
  filename: string[];
  prune?: boolean;
  adopt?: boolean;
  out?: string;
}

export function writePlanFile(file: string, plan: Plan, headerLine: string, io: Io): void {
  const target = path.resolve(io.cwd, file);
  fs.writeFileSync(target, JSON.stringify({ ...plan, header: headerLine }, null, 2) + '\n');
}

export async function planCommand(flags: PlanFlags, io: Io): Promise<number> {
  const manifests = await loadValid(flags.filename, io, { flags });
  return withSession(flags, io, async (o) => {
    const plan = await makePlan(o.session, manifests, { prune: flags.prune, adopt: flags.adopt });
    const head = header(o);
    if (flags.output === 'json') io.stdout.write(JSON.stringify({ header: head, ...plan }, null, 2) + '\n');
    else io.stdout.write(renderPlan(plan, o.style, head));
    if (flags.out) {
      writePlanFile(flags.out, plan, head, io);
      if (flags.output !== 'json') io.stdout.write(`Saved the plan to ${flags.out}; run "runctl apply ${flags.out}" to execute exactly this plan.\n`);
    }
    if (plan.entries.some((e) => e.action === 'blocked')) return 1;
    return hasDifferences(plan) ? 2 : 0;
  });
}
