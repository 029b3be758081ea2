/**
 * Project and region resolution shared by the kinds that are not the Service kind
 * (the Service controller keeps its own copy; controllers do not import each other).
 * Order (DESIGN.md): flags/environment, then `spec`, then the emulator fallbacks.
 */
import type { PlanContext } from '../../src/engine/controller';
import { RunctlError, type Manifest } from '../../src/engine/types';

/** The project a manifest's resource lives in. */
export function resolveProject(m: Manifest, ctx: PlanContext, extra?: string): string {
  const project = ctx.target.project ?? m.spec.project ?? extra ?? ctx.target.fallbackProject;
  if (!project) {
    throw new RunctlError('Usage', `${m.kind}/${m.metadata.name}: no project: pass --project, set GOOGLE_CLOUD_PROJECT or spec.project`, { source: 'user' });
  }
  return project;
}

/** The region of a regional resource: `--region`, `spec.region`, then the fallback. */
export function resolveRegion(m: Manifest, ctx: PlanContext): string {
  return ctx.target.region ?? m.spec.region ?? ctx.target.fallbackRegion;
}

/**
 * Where a Service of this manifest set lives, from its manifest or (when it is not in
 * the set) its observed status. Used by kinds that point at a Service by name.
 */
export function serviceLocation(name: string, ctx: PlanContext): { project?: string; region: string } {
  const m = ctx.manifestOf(`Service/${name}`);
  const live = ctx.statusOf(`Service/${name}`)?.fields.region as string | undefined;
  return {
    project: ctx.target.project ?? m?.spec.project,
    region: ctx.target.region ?? m?.spec.region ?? live ?? ctx.target.fallbackRegion,
  };
}
