/** The Git source of `sync`: addresses, redaction, and reading manifests from commits. */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GitSource, redact, repoAddress, repoDir } from '../../src/loop/git';

describe('repoAddress', () => {
  const cases: Array<{ name: string; reason: string; repo: string; want: string }> = [
    { name: 'https', reason: 'URLs pass through', repo: 'https://github.com/acme/deploy.git', want: 'https://github.com/acme/deploy.git' },
    { name: 'ssh url', reason: 'ssh:// is a URL', repo: 'ssh://git@github.com/acme/deploy.git', want: 'ssh://git@github.com/acme/deploy.git' },
    { name: 'scp style', reason: 'git@host:path is SSH, not a relative path', repo: 'git@github.com:acme/deploy.git', want: 'git@github.com:acme/deploy.git' },
    { name: 'file url', reason: 'file:// is a URL', repo: 'file:///srv/git/deploy.git', want: 'file:///srv/git/deploy.git' },
    { name: 'relative path', reason: 'paths resolve against the working directory', repo: 'repos/deploy.git', want: '/work/repos/deploy.git' },
    { name: 'absolute path', reason: 'absolute paths stay', repo: '/srv/deploy.git', want: '/srv/deploy.git' },
  ];
  for (const t of cases) it(`${t.name}: ${t.reason}`, () => expect(repoAddress(t.repo, '/work')).toBe(t.want));
});

describe('redact and repoDir', () => {
  it('hides credentials in URLs, nothing else', () => {
    expect(redact("fatal: unable to access 'https://bot:ghp_secret@github.com/acme/x.git/': 403")).toBe("fatal: unable to access 'https://***@github.com/acme/x.git/': 403");
    expect(redact('git@github.com:acme/x.git')).toBe('git@github.com:acme/x.git');
  });
  const cases: Array<{ name: string; reason: string; dir: string; want: string }> = [
    { name: 'root', reason: '. is the whole tree', dir: '.', want: '' },
    { name: 'dot slash', reason: './deploy is deploy', dir: './deploy/', want: 'deploy' },
    { name: 'nested', reason: 'normalised', dir: 'env//prod/../prod', want: 'env/prod' },
    { name: 'leading slash', reason: 'repository paths are relative to its root', dir: '/deploy', want: 'deploy' },
  ];
  for (const t of cases) it(`${t.name}: ${t.reason}`, () => expect(repoDir(t.dir)).toBe(t.want));
  it('refuses a path leaving the repository', () => expect(() => repoDir('../elsewhere')).toThrow(/leaves the repository/));
});

describe('GitSource', () => {
  let root: string;
  let origin: string;
  const shas: string[] = [];
  const git = (cwd: string, ...args: string[]) =>
    execFileSync('git', args, { cwd, encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@e', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@e' } }).trim();

  beforeAll(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'runctl-git-'));
    origin = path.join(root, 'origin.git');
    const work = path.join(root, 'work');
    git(root, 'init', '--quiet', '--bare', '--initial-branch=main', origin);
    fs.mkdirSync(path.join(work, 'deploy/nested'), { recursive: true });
    fs.mkdirSync(path.join(work, 'deploy/.hidden'), { recursive: true });
    fs.mkdirSync(path.join(work, 'other'), { recursive: true });
    fs.writeFileSync(path.join(work, 'deploy/b.yaml'), 'b: 1\n');
    fs.writeFileSync(path.join(work, 'deploy/nested/a.yml'), 'a: 1\n');
    fs.writeFileSync(path.join(work, 'deploy/.hidden/x.yaml'), 'x: 1\n');
    fs.writeFileSync(path.join(work, 'deploy/notes.txt'), 'not yaml\n');
    fs.writeFileSync(path.join(work, 'other/c.yaml'), 'c: 1\n');
    git(work, 'init', '--quiet', '--initial-branch=main');
    git(work, 'add', '--all');
    git(work, 'commit', '--quiet', '-m', 'one');
    git(work, 'push', '--quiet', origin, 'main');
    shas.push(git(work, 'rev-parse', 'HEAD'));
    fs.writeFileSync(path.join(work, 'deploy/b.yaml'), 'b: 2\n');
    git(work, 'commit', '--quiet', '-am', 'two: ünïcode');
    git(work, 'push', '--quiet', origin, 'main');
    shas.push(git(work, 'rev-parse', 'HEAD'));
  });
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  it('fetches a ref and reads the manifests under a directory, skipping dot-directories and other files', async () => {
    const src = new GitSource({ repo: origin, cwd: root });
    await src.open();
    try {
      expect(await src.fetch('main')).toBe(shas[1]);
      expect(await src.files(shas[1], 'deploy')).toEqual([
        { path: 'deploy/b.yaml', bytes: Buffer.from('b: 2\n') },
        { path: 'deploy/nested/a.yml', bytes: Buffer.from('a: 1\n') },
      ]);
      expect((await src.files(shas[1], '.'))!.map((f) => f.path)).toEqual(['deploy/b.yaml', 'deploy/nested/a.yml', 'other/c.yaml']);
      expect(await src.files(shas[1], 'missing')).toBeUndefined();
      expect((await src.info(shas[1])).subject).toBe('two: ünïcode');
    } finally {
      await src.close();
    }
  });

  it('fetches an older commit by ID, and walks back the history', async () => {
    const src = new GitSource({ repo: `file://${origin}`, cwd: root });
    await src.open();
    try {
      await src.fetch('main');
      expect(await src.fetchCommit(shas[0])).toBe(true);
      expect(await src.files(shas[0], 'deploy/')).toEqual([
        { path: 'deploy/b.yaml', bytes: Buffer.from('b: 1\n') },
        { path: 'deploy/nested/a.yml', bytes: Buffer.from('a: 1\n') },
      ]);
      expect(await src.fetchCommit('0'.repeat(40))).toBe(false);
      expect(await src.history('main', 5)).toEqual([shas[1], shas[0]]);
    } finally {
      await src.close();
    }
  });

  it('reports an unknown ref with git\'s own words', async () => {
    const src = new GitSource({ repo: origin, cwd: root });
    await src.open();
    try {
      await expect(src.fetch('no-such-branch')).rejects.toThrow(/git fetch .*failed: .*no-such-branch/);
    } finally {
      await src.close();
    }
  });
});
