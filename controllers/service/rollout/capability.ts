/**
 * Service's `rollout` capability: the manual verbs (`runctl rollout status|promote|abort|undo`)
 * as the engine's kind-neutral `RolloutCapability`, so the CLI reaches them through the
 * registry. The gate comes from the manifest when one is given, else from the record.
 */
import type { ObserveContext, RolloutCapability, RolloutRequest } from '../../../src/engine/controller';
import { abortRollout, promoteRollout, rolloutReport, undoRollout } from './actions';
import { clockFor } from './clock';
import { gateOf, type RolloutTarget } from './drive';
import { describeGate, rolloutConfig } from './state';

/** What the rollout code needs, from the request and the context of a command. */
function targetOf(req: RolloutRequest, ctx: ObserveContext): RolloutTarget {
  return { clients: ctx.clients, id: req.id, clock: clockFor(ctx.clients, ctx.target), signal: ctx.signal, progress: () => {} };
}

export const serviceRollout: RolloutCapability = {
  status(req, ctx) {
    const cfg = rolloutConfig(req.manifest, ctx.manifestOf);
    return rolloutReport(targetOf(req, ctx), cfg ? gateOf(cfg) : undefined);
  },
  promote: (req, ctx) => promoteRollout(targetOf(req, ctx)),
  abort: (req, ctx) => abortRollout(targetOf(req, ctx)),
  undo: (req, ctx) => undoRollout(targetOf(req, ctx)),
  describeGate,
};
