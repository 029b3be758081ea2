/** The one redaction helper: credentials in URLs (user-info, query strings) and auth headers. */
import { describe, expect, it } from 'vitest';
import { redact, redactDeep, secretsOf } from '../../src/engine/redact';
import { reportError } from '../../src/cli/program';
import { RunctlError } from '../../src/engine/types';
import { redact as gitRedact } from '../../src/loop/git';
import { makeLogger } from '../../src/loop/log';

const cases: Array<{ reason: string; text: string; want: string }> = [
  { reason: 'user and token in the user-info', text: "fatal: unable to access 'https://bot:ghp_secret@github.com/acme/x.git/': 403", want: "fatal: unable to access 'https://***@github.com/acme/x.git/': 403" },
  { reason: 'a token in the query string', text: 'https://host/r.git?access_token=X', want: 'https://host/r.git?access_token=***' },
  { reason: 'both, several parameters and a fragment', text: 'https://user:TOKEN@host/r.git?access_token=X&b=2#f=3', want: 'https://***@host/r.git?access_token=***&b=***#f=***' },
  { reason: 'inside a JSON log line the quotes stay', text: '{"repo":"https://h/r.git?token=X","m":"x"}', want: '{"repo":"https://h/r.git?token=***","m":"x"}' },
  { reason: "Google's help links keep their project", text: 'enable it: https://console.developers.google.com/apis/api/run.googleapis.com/overview?project=123 then retry', want: 'enable it: https://console.developers.google.com/apis/api/run.googleapis.com/overview?project=123 then retry' },
  { reason: 'an Authorization header', text: 'http.extraHeader=Authorization: Bearer abc.def', want: 'http.extraHeader=Authorization: Bearer ***' },
  { reason: 'scp-style addresses carry no secret', text: 'git@github.com:acme/x.git', want: 'git@github.com:acme/x.git' },
  { reason: 'plain URLs are unchanged', text: 'https://jokes-b97i0m4bhj-lz.a.run.app/api', want: 'https://jokes-b97i0m4bhj-lz.a.run.app/api' },
  { reason: 'ssh URLs with a password', text: 'ssh://me:pw@host:22/r.git', want: 'ssh://***@host:22/r.git' },
];

describe('redact', () => {
  it.each(cases)('$reason', ({ text, want }) => {
    expect(redact(text)).toBe(want);
  });

  it('is the helper sync uses for git messages', () => {
    expect(gitRedact).toBe(redact);
  });

  it('reaches every string of a structured record', () => {
    const rec = { repo: 'https://u:p@h/r?access_token=T', nested: { list: ['https://h/?key=K'] }, n: 3 };
    expect(JSON.stringify(redactDeep(rec))).not.toMatch(/\bp@|=T|=K/);
    expect(redactDeep(rec).n).toBe(3);
  });
});

describe('secretsOf', () => {
  it('finds the password or lone token and the query values, never the user name', () => {
    expect(secretsOf('https://main:TOKEN1@h/r.git?access_token=TOKEN2&project=p123')).toEqual(['TOKEN1', 'TOKEN2']);
    expect(secretsOf('https://ghp_abcdef@github.com/a/b.git')).toEqual(['ghp_abcdef']);
  });

  it('hides them where a tool repeats them without the URL around them', () => {
    const secrets = secretsOf('file:///srv/r.git?access_token=TOKEN3');
    expect(redact("fatal: '/srv/r.git?access_token=TOKEN3' does not appear to be a git repository (ref main)", secrets)).toBe(
      "fatal: '/srv/r.git?access_token=***' does not appear to be a git repository (ref main)",
    );
  });
});

describe('where runctl writes, credentials never appear', () => {
  const URL = 'https://bot:SECRET1@git.example.com/r.git?access_token=SECRET2';

  it('error lines (the one top-level catch, diagnostics included)', () => {
    let stderr = '';
    const io = { stdout: { write: () => true }, stderr: { write: (s: string) => (stderr += s) }, env: {}, cwd: '/' };
    const err = new RunctlError('ApiError', `git fetch ${URL} failed`, { diagnostics: [{ code: 'InvalidValue', message: `bad ${URL}` }] });
    expect(reportError(err, io)).toBe(1);
    expect(stderr).toContain('https://***@git.example.com/r.git?access_token=***');
    expect(stderr).not.toMatch(/SECRET/);
  });

  it('log records, JSON and text', () => {
    for (const format of ['json', 'text'] as const) {
      let out = '';
      const log = makeLogger({ format, out: { write: (s: string) => (out += s) } });
      log.error({ repo: URL, nested: { url: URL } }, `cannot fetch main from ${URL}`);
      expect(out).toContain('git.example.com');
      expect(out).not.toMatch(/SECRET/);
    }
  });
});
