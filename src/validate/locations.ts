/**
 * The manifest wins (DESIGN.md): `--project` and `--region` are defaults for manifests
 * that name none. A flag that names another project or region than a manifest says is
 * refused before any API call, at the manifest's file:line and with both values — as
 * kubectl refuses a `--namespace` that contradicts the object's namespace. Environment
 * variables and the gcloud configuration are quieter defaults and never conflict.
 */
import type { Diagnostic, LoadedManifest } from '../util/types';
import { keyOf } from '../util/types';

/** The explicit target flags of a command. */
export interface LocationFlags {
  project?: string;
  region?: string;
}

const FIELDS = [
  { field: 'project', flag: '--project' },
  { field: 'region', flag: '--region' },
] as const;

/** One `Usage` diagnostic per manifest value a flag contradicts. */
export function checkLocationFlags(loaded: LoadedManifest[], flags: LocationFlags = {}): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const lm of loaded) {
    const m = lm.manifest as unknown as { kind?: unknown; metadata?: { name?: unknown }; spec?: Record<string, unknown> };
    const spec = m?.spec;
    if (!spec || typeof spec !== 'object') continue;
    for (const { field, flag } of FIELDS) {
      const given = flags[field];
      const own = spec[field];
      if (!given || typeof own !== 'string' || !own || own === given) continue;
      const resource = typeof m.kind === 'string' && typeof m.metadata?.name === 'string' ? keyOf(m as { kind: string; metadata: { name: string } }) : undefined;
      out.push({
        code: 'Usage',
        path: `spec.${field}`,
        pos: lm.positionOf(['spec', field]),
        ...(resource ? { resource } : {}),
        message: `the manifest says ${field} "${own}" but ${flag} says "${given}": the manifest wins, and ${flag} only fills in manifests without spec.${field}; drop ${flag}, pass ${flag} ${own}, or change spec.${field}`,
      });
    }
  }
  return out;
}
