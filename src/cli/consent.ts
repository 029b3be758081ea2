/**
 * Consent for real clouds (DESIGN.md "Consent"): writes to real Google Cloud (`apply`,
 * `delete`, rollout actions) show the plan and ask on a terminal; without a terminal they
 * need `--yes`. Emulator targets never ask (deletions by `--prune` still need a yes:
 * `confirmDeletions`).
 *
 * The refusal without a terminal comes before any API call (`requireConsentPossible`),
 * so a shell that merely has GOOGLE_CLOUD_PROJECT exported never reads or writes the
 * project unasked; on a terminal the plan is made and shown first, then `askConsent`.
 */
import type { TargetInfo } from '../engine/controller';
import { WRITE_ACTIONS, type Plan } from '../engine/plan';
import { RunctlError } from '../engine/types';
import type { Io } from '../lib/io';

export interface ConsentFlags {
  /** `--yes`: consent given up front. */
  yes?: boolean;
}

/** Whether writes to this target need a yes that has not been given. */
export function needsConsent(info: Pick<TargetInfo, 'mode'>, flags: ConsentFlags): boolean {
  return info.mode === 'google' && !flags.yes;
}

const where = (projects: string[]) => `Google Cloud project${projects.length === 1 ? '' : 's'} ${projects.join(', ') || '(none)'}`;

/**
 * Before any API call: a write to real Google Cloud with no terminal to ask on needs
 * `--yes`, or it is refused (nothing read, nothing written).
 */
export function requireConsentPossible(info: Pick<TargetInfo, 'mode' | 'project'>, flags: ConsentFlags, io: Pick<Io, 'confirm'>, verb: string): void {
  if (!needsConsent(info, flags) || io.confirm) return;
  throw new RunctlError(
    'Refused',
    `${verb} writes to real ${where(info.project ? [info.project] : [])}: re-run with --yes to confirm (no terminal to ask on); nothing was read or changed`,
    { source: 'user' },
  );
}

/**
 * After the plan is shown: ask on the terminal before writing to real Google Cloud.
 * Returns true when the user said yes to a plan with writes (that answer covers its
 * deletions too); false when no question was needed.
 */
export async function askConsent(plan: Pick<Plan, 'entries'>, info: Pick<TargetInfo, 'mode' | 'project'>, flags: ConsentFlags, io: Pick<Io, 'confirm'>, verb: string): Promise<boolean> {
  if (!needsConsent(info, flags)) return false;
  const writes = plan.entries.filter((e) => WRITE_ACTIONS.has(e.action));
  if (!writes.length) return false;
  requireConsentPossible(info, flags, io, verb);
  const projects = [...new Set(writes.map((e) => e.identity.project))].sort();
  const counts = [...new Set(writes.map((e) => e.action))].sort().map((a) => `${writes.filter((e) => e.action === a).length} to ${a}`);
  const ok = await io.confirm!(`${verb} will write to real ${where(projects)}: ${counts.join(', ')}. Continue?`);
  if (!ok) throw new RunctlError('Refused', 'cancelled: nothing was changed', { source: 'user' });
  return true;
}

/** The same question for an action that has no plan (`rollout promote|abort|undo`). */
export async function askActionConsent(what: string, info: Pick<TargetInfo, 'mode' | 'project'>, project: string, flags: ConsentFlags, io: Pick<Io, 'confirm'>, verb: string): Promise<void> {
  if (!needsConsent(info, flags)) return;
  requireConsentPossible(info, flags, io, verb);
  const ok = await io.confirm!(`${verb} will ${what} in real ${where([project])}. Continue?`);
  if (!ok) throw new RunctlError('Refused', 'cancelled: nothing was changed', { source: 'user' });
}
