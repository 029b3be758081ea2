import * as fs from 'node:fs';
import * as path from 'node:path';

let root: string | undefined;

/** The directory holding runctl's package.json (works from `src/` and from `dist/src/`). */
export function packageRoot(): string {
  if (root) return root;
  let dir = __dirname;
  for (;;) {
    const pkg = path.join(dir, 'package.json');
    if (fs.existsSync(pkg) && JSON.parse(fs.readFileSync(pkg, 'utf8')).name === 'runctl') return (root = dir);
    const up = path.dirname(dir);
    if (up === dir) throw new Error('cannot find the runctl package root');
    dir = up;
  }
}

export function packageVersion(): string {
  return JSON.parse(fs.readFileSync(path.join(packageRoot(), 'package.json'), 'utf8')).version;
}

/**
 * The name runctl records as the writer of what it changes: in the `client` field of
 * resources that have one (Cloud Run; gcloud writes `gcloud`, the console
 * `cloud-console`) and in the `x-goog-api-client` header of every official client (as
 * `runctl/VERSION`). Checks on it live with the other ownership markers in
 * `src/engine/ownership.ts`.
 */
export const CLIENT_NAME = 'runctl';

/** `client` and `clientVersion` for a resource body that records its writer. */
export function clientStamp(): { client: string; clientVersion: string } {
  return { client: CLIENT_NAME, clientVersion: packageVersion() };
}
