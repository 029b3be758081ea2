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
