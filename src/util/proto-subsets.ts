/**
 * The proto subsets the build writes into `dist/generated/protos/` (see
 * `src/gcp/client-modules.ts` for what they are and `scripts/gen-startup.js` for how
 * they are made): where they live and reading one, once per process. Here, below both,
 * because the clients and the emulator read the same files (in the embedded emulator,
 * the same parsed object).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { packageRoot } from '../package-root';

/** What the build writes per package. */
export interface ProtoSubsetFile {
  package: string;
  /** Version of the package the subset was made from. */
  packageVersion: string;
  /** Client class name -> full name of its service. */
  services: Record<string, string>;
  protos: unknown;
}

/** Where the build writes the subset of `pkg`. */
export function subsetPath(pkg: string, root: string = packageRoot()): string {
  return path.join(root, 'dist', 'generated', 'protos', `${pkg.replace(/^@/, '').replace(/\//g, '__')}.json`);
}

const subsets = new Map<string, ProtoSubsetFile | null>();

/** The subset file of `pkg` when it matches the installed package version, else null (one parse per process, shared with the embedded emulator). */
export function subsetFor(pkg: string, installedVersion: string): ProtoSubsetFile | null {
  if (!subsets.has(pkg)) {
    let found: ProtoSubsetFile | null = null;
    try {
      const file = JSON.parse(fs.readFileSync(subsetPath(pkg), 'utf8')) as ProtoSubsetFile;
      if (file.package === pkg && file.packageVersion === installedVersion) found = file;
    } catch {
      /* no subset: the full protos */
    }
    subsets.set(pkg, found);
  }
  return subsets.get(pkg)!;
}

