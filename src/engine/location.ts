/**
 * Where a resource lives: the one project/region resolver every controller uses
 * (DESIGN.md "The manifest wins"). A manifest's own `spec.project` / `spec.region` are
 * authoritative; the target's defaults (`--project`, `GOOGLE_CLOUD_PROJECT`, the gcloud
 * configuration; `--region`, `CLOUDSDK_RUN_REGION`, gcloud's `run/region`) apply only
 * where a manifest names none, and the emulator fallbacks (`local-project`,
 * `us-central1`) last. A flag that contradicts a manifest is refused before planning
 * (`src/validate/locations.ts`), so nothing here ever overrides a manifest.
 */
import type { PlanContext, TargetInfo } from './controller';
import { RunctlError, type Manifest } from './types';

const text = (v: unknown): string | undefined => (typeof v === 'string' && v ? v : undefined);

/** The project a manifest names none of gets: the target's default, else the emulator fallback. */
export function defaultProject(target: TargetInfo): string | undefined {
  return target.project ?? target.fallbackProject;
}

/** The region a manifest names none of gets. */
export function defaultRegion(target: TargetInfo): string {
  return target.region ?? target.fallbackRegion;
}

/**
 * A manifest's project: `spec.project`, else `inherited` (the explicit project of the
 * resource it belongs to, e.g. the Service an Slo measures), else the default.
 */
export function projectOf(m: Manifest, target: TargetInfo, inherited?: string): string {
  const project = text(m.spec?.project) ?? inherited ?? defaultProject(target);
  if (!project) {
    throw new RunctlError(
      'Usage',
      `${m.kind}/${m.metadata.name}: no project: set spec.project, pass --project, set GOOGLE_CLOUD_PROJECT, or run "gcloud config set project ID"`,
      { source: 'user' },
    );
  }
  return project;
}

/** A regional manifest's region: `spec.region`, else the default. */
export function regionOf(m: Manifest, target: TargetInfo): string {
  return text(m.spec?.region) ?? defaultRegion(target);
}

/**
 * Where another resource of the set lives, by key (`Kind/name`), for kinds that point at
 * it (a LoadBalancer's Services, an Slo's Service): its manifest when the set has it,
 * else the region its live status reports, else the defaults. `explicitProject` is the
 * project only when its manifest names one (for {@link projectOf}'s `inherited`).
 */
export function locationOf(key: string, ctx: Pick<PlanContext, 'target' | 'manifestOf' | 'statusOf'>): { project?: string; region: string; explicitProject?: string } {
  const m = ctx.manifestOf(key);
  if (m) {
    const explicitProject = text(m.spec?.project);
    return { project: projectOf(m, ctx.target), region: regionOf(m, ctx.target), explicitProject };
  }
  const live = text(ctx.statusOf(key)?.fields.region);
  return { project: defaultProject(ctx.target), region: live ?? defaultRegion(ctx.target) };
}
