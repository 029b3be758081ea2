/** `diff -f` / `plan -f`: show the plan; exit 2 when it has changes. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { hasDifferences, type Plan } from '../../engine/plan';
import { makePlan } from '../../engine/planner';
import { sealPlan } from '../../engine/saved-plan';
import { RunctlError } from '../../engine/types';
import type { Io } from '../../lib/io';
import { loadValid } from '../../lib/manifests';
import { renderPlan } from '../render';
import { header, withSession, type GlobalFlags } from './common';

export interface PlanFlags extends GlobalFlags {
  filename: string[];
  prune?: boolean;
  adopt?: boolean;
  /** Accept standard input that holds no manifests. */
  allowEmpty?: boolean;
  out?: string;
}

/**
 * Save a sealed plan (see `saved-plan.ts`). Plans hold configuration values, so the
 * file is private (0600), and a directory runctl creates for it is too (0700). The file
 * is written under a temporary name and renamed, so a reader never sees half a plan and
 * an existing file's wider mode is not kept.
 */
export function writePlanFile(file: string, plan: Plan, headerLine: string, io: Io): void {
  const target = path.resolve(io.cwd, file);
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

export async function planCommand(flags: PlanFlags, io: Io): Promise<number> {
  const manifests = await loadValid(flags.filename, io, { flags, refuseEmptyStdin: !flags.allowEmpty });
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
