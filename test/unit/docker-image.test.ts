/**
 * The controller image (issue 16): what can be checked without pulling a base image.
 * The build context is computed from `.dockerignore` the way Docker computes it and must
 * hold what the Dockerfile copies and nothing else; the Dockerfile is read for the promises
 * the README makes (a slim Node.js LTS base, git, a non-root user, the package installed
 * from its tarball, `runctl` as the entrypoint, a health check on the ops server's
 * `/healthz`); and examples/runctl-controller.yaml names the image the README builds.
 * test/integration/package.test.ts runs the entrypoint, the default command and the
 * health check from the installed package.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/package-root';
import { buildContext, execForm, healthcheck, isExcluded, parseDockerfile, parseDockerignore } from '../helpers/docker';

const ROOT = packageRoot();
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { name: string; version: string };
const TARBALL = `${pkg.name}-${pkg.version}.tgz`;
const dockerfile = parseDockerfile(fs.readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8'));
const rules = parseDockerignore(fs.readFileSync(path.join(ROOT, '.dockerignore'), 'utf8'));
const one = (keyword: string) => {
  const all = dockerfile.filter((i) => i.keyword === keyword);
  expect(all, `${keyword} instructions`).toHaveLength(1);
  return all[0];
};

describe('.dockerignore, read as Docker reads it', () => {
  it('follows Docker pattern rules: parents, exceptions, **, last match wins', () => {
    const r = parseDockerignore('# comment\n/dist\n*.log\n!keep.log\n**/*.map\ntest/\n!test/fixtures/ok.yaml\n');
    expect(isExcluded(r, 'dist/src/a.js')).toBe(true); // a parent directory matches
    expect(isExcluded(r, 'a.log')).toBe(true);
    expect(isExcluded(r, 'keep.log')).toBe(false); // the exception comes later
    expect(isExcluded(r, 'sub/a.log')).toBe(false); // `*` does not cross `/`
    expect(isExcluded(r, 'src/x/y.js.map')).toBe(true);
    expect(isExcluded(r, 'test/unit/a.ts')).toBe(true);
    expect(isExcluded(r, 'test/fixtures/ok.yaml')).toBe(false);
    expect(isExcluded(r, 'src/a.ts')).toBe(false);
  });

  it('sends the packed tarball and nothing else of the repository', () => {
    // The tarball `npm pack` writes beside package.json; a worktree may already hold one.
    const context = buildContext(ROOT, rules, { extra: [TARBALL], opaque: ['node_modules', '.git'] });
    expect(context.filter((p) => !/^runctl-.*\.tgz$/.test(p))).toEqual([]);
    expect(context).toContain(TARBALL);
    for (const p of ['test/unit/docker-image.test.ts', 'src/cli/main.ts', 'node_modules/yaml/package.json', '.git/HEAD', 'dist/src/cli/main.js', '.runctl/emulator/state.json', 'manifests/jokes.yaml', 'package.json']) {
      expect(isExcluded(rules, p), p).toBe(true);
    }
  });

  it('holds every file the Dockerfile copies', () => {
    const copies = dockerfile.filter((i) => i.keyword === 'COPY' || i.keyword === 'ADD');
    expect(copies.length).toBeGreaterThan(0);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'runctl-context-'));
    try {
      fs.writeFileSync(path.join(dir, TARBALL), '');
      const context = buildContext(dir, rules);
      for (const c of copies) {
        const sources = c.args.split(/\s+/).filter((a) => !a.startsWith('--')).slice(0, -1);
        for (const s of sources) {
          const re = new RegExp(`^${s.replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]')}$`);
          expect(context.some((f) => re.test(f)), `Dockerfile:${c.line}: COPY ${s} finds nothing in the context ${JSON.stringify(context)}`).toBe(true);
        }
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the Dockerfile', () => {
  it('starts from a slim image of a current Node.js LTS line', () => {
    const from = one('FROM').args;
    const arg = dockerfile.find((i) => i.keyword === 'ARG' && i.args.startsWith('NODE_VERSION='));
    const image = from.replace('${NODE_VERSION}', arg?.args.split('=')[1] ?? '');
    const m = /^node:(\d+)-[a-z]+-slim$/.exec(image);
    expect(m, image).not.toBeNull();
    // The LTS lines are the even majors; 20 reached end of life in April 2026.
    expect([22, 24]).toContain(Number(m![1]));
  });

  it('installs git, then the package from its tarball, without build tools', () => {
    const runs = dockerfile.filter((i) => i.keyword === 'RUN').map((i) => i.args);
    const apt = runs.find((r) => r.includes('apt-get install'));
    expect(apt).toMatch(/\bgit\b/);
    expect(apt).toContain('--no-install-recommends');
    expect(apt).not.toMatch(/build-essential|python3|\bmake\b|\bg\+\+/);
    expect(runs.some((r) => /npm install --global --omit=dev .*"\$1"/.test(r) && r.includes('/tmp/runctl/runctl-*.tgz'))).toBe(true);
    // Nothing is compiled in the image: no tsc, no npm ci of the sources.
    expect(runs.join('\n')).not.toMatch(/\btsc\b|npm ci|npm run build/);
  });

  it('runs as a non-root user, with runctl as the entrypoint and sync as the default command', () => {
    const user = one('USER').args;
    expect(user).not.toMatch(/^(root|0)(:|$)/);
    const users = dockerfile.map((i, n) => ({ i, n })).filter(({ i }) => i.keyword === 'USER');
    const lastInstall = dockerfile.findIndex((i) => i.keyword === 'RUN' && i.args.includes('npm install --global'));
    expect(users[0].n).toBeGreaterThan(lastInstall);
    expect(execForm(one('ENTRYPOINT').args)).toEqual(['runctl']);
    const cmd = execForm(one('CMD').args);
    expect(cmd[0]).toBe('sync');
    expect(cmd).toContain('--metrics-host=0.0.0.0');
  });

  it('checks health on /healthz of the port the default command serves', () => {
    const cmd = execForm(one('CMD').args);
    const port = cmd.find((a) => a.startsWith('--metrics-port='))!.split('=')[1];
    const check = healthcheck(one('HEALTHCHECK').args);
    expect(check.command.join(' ')).toContain(`http://127.0.0.1:${port}/healthz`);
    expect(one('EXPOSE').args).toBe(port);
  });
});

describe('examples/runctl-controller.yaml', () => {
  it('names the image the README builds from this Dockerfile, with the ops server on the container port', () => {
    const manifest = parseYaml(fs.readFileSync(path.join(ROOT, 'examples', 'runctl-controller.yaml'), 'utf8')) as { spec: { image: string; args: string[]; port: number } };
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    expect(readme.includes(`docker build -t ${manifest.spec.image} .`), `README.md shows docker build -t ${manifest.spec.image} .`).toBe(true);
    expect(manifest.spec.image).toMatch(new RegExp(`/runctl:${pkg.version.replace(/\./g, '\\.')}$`));
    expect(manifest.spec.args[0]).toBe('sync');
    expect(manifest.spec.args).toContain(`--metrics-port=${manifest.spec.port}`);
    expect(manifest.spec.args).toContain('--metrics-host=0.0.0.0');
  });
});
