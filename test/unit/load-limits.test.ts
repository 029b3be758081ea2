/**
 * Input limits of the loader (issue 11, defect 9): only regular files, bounded bytes per
 * file and per set, strict UTF-8, no unknown YAML tags, bounded nesting, and one
 * diagnostic per offending value.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bucketNameProblem } from '../../controllers/volume/bucket-name';
import { resourceProblems } from '../../controllers/service/run-limits';
import { extraChecks } from '../../src/lib/registry';
import { LOAD_LIMITS, loadManifests, parseManifestBytes, parseManifests } from '../../src/load/loader';
import { invalidUtf8Offset } from '../../src/load/read';
import { MAX_DEPTH } from '../../src/load/yaml-checks';
import { validateManifests } from '../../src/validate/validate';

const SERVICE = (spec = '  image: img\n') => `apiVersion: runctl.dev/v1alpha1\nkind: Service\nmetadata: {name: s}\nspec:\n${spec}`;
const codes = (ds: Array<{ code: string }>) => ds.map((d) => d.code);

describe('only regular files are read', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'runctl-limits-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses a character device without reading it', async () => {
    const { resources, diagnostics } = await loadManifests(['/dev/zero']);
    expect(resources).toEqual([]);
    expect(codes(diagnostics)).toEqual(['InputRefused']);
    expect(diagnostics[0].message).toMatch(/^\/dev\/zero: a character device/);
  });

  it('refuses a FIFO without blocking on it', async () => {
    const fifo = path.join(dir, 'pipe.yaml');
    execFileSync('mkfifo', [fifo]);
    const { diagnostics } = await loadManifests([fifo]);
    expect(codes(diagnostics)).toEqual(['InputRefused']);
    expect(diagnostics[0].message).toContain('FIFO');
  });

  it('refuses a socket, also when a directory holds it under a manifest name', async () => {
    const sock = path.join(dir, 'sock.yaml');
    const server = net.createServer().listen(sock);
    await new Promise((r) => server.once('listening', r));
    try {
      writeFileSync(path.join(dir, 'ok.yaml'), SERVICE());
      const direct = await loadManifests([sock]);
      expect(codes(direct.diagnostics)).toEqual(['InputRefused']);
      expect(direct.diagnostics[0].message).toContain('socket');
      // A directory walk lists only regular files and symbolic links: the socket is not a manifest file.
      const walked = await loadManifests([dir]);
      expect(walked.diagnostics).toEqual([]);
      expect(walked.resources).toHaveLength(1);
    } finally {
      server.close();
    }
  });

  it('refuses a symbolic link to a device found in a directory', async () => {
    execFileSync('ln', ['-s', '/dev/zero', path.join(dir, 'zero.yaml')]);
    const { diagnostics } = await loadManifests([dir]);
    expect(codes(diagnostics)).toEqual(['InputRefused']);
  });
});

describe('byte limits', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'runctl-limits-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses a file above the per-file limit', async () => {
    const big = path.join(dir, 'big.yaml');
    writeFileSync(big, `# ${'x'.repeat(LOAD_LIMITS.maxBytes)}\n`);
    const { resources, diagnostics } = await loadManifests([big]);
    expect(resources).toEqual([]);
    expect(codes(diagnostics)).toEqual(['InputRefused']);
  });

  it('stops reading once the set passes its total, with one diagnostic', async () => {
    const each = LOAD_LIMITS.maxBytes - 1024;
    const files = Array.from({ length: 5 }, (_, i) => {
      const f = path.join(dir, `f${i}.yaml`);
      writeFileSync(f, `# ${'x'.repeat(each - 3)}\n`);
      return f;
    });
    const { diagnostics } = await loadManifests(files);
    const fit = Math.floor(LOAD_LIMITS.maxTotalBytes / each);
    expect(codes(diagnostics)).toEqual(['InputRefused']);
    expect(diagnostics[0].message).toMatch(new RegExp(`^${files[fit].replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: .* in total`));
  });

  it('refuses standard input above the per-file limit without reading all of it', async () => {
    let served = 0;
    const chunk = Buffer.alloc(1024 * 1024, 0x20);
    const endless = new Readable({
      read() {
        served++;
        this.push(chunk);
      },
    });
    const { diagnostics } = await loadManifests(['-'], { stdin: endless });
    expect(codes(diagnostics)).toEqual(['InputRefused']);
    expect(served).toBeLessThan(LOAD_LIMITS.maxBytes / chunk.length + 4);
  });

  it('says when standard input held no manifest at all', async () => {
    expect((await loadManifests(['-'], { stdin: Readable.from([]) })).emptyStdin).toBe(true);
    expect((await loadManifests(['-'], { stdin: Readable.from([Buffer.from('# only a comment\n---\n')]) })).emptyStdin).toBe(true);
    expect((await loadManifests(['-'], { stdin: Readable.from([Buffer.from(SERVICE())]) })).emptyStdin).toBe(false);
  });
});

describe('strict UTF-8', () => {
  it('reports the first invalid byte at file:line:column', () => {
    const bytes = Buffer.concat([Buffer.from(SERVICE('  image: "caf')), Buffer.from([0xe9]), Buffer.from('"\n')]);
    const { resources, diagnostics } = parseManifestBytes(bytes, 'latin1.yaml');
    expect(resources).toEqual([]);
    expect(diagnostics).toEqual([{ code: 'InvalidEncoding', message: expect.stringContaining('byte 0xe9'), pos: { file: 'latin1.yaml', line: 5, col: 14 } }]);
  });

  it('accepts UTF-8 text, a byte order mark, and characters of every length', () => {
    const text = `\ufeff${SERVICE('  image: "é€𝄞"\n')}`;
    const { resources, diagnostics } = parseManifestBytes(Buffer.from(text, 'utf8'), 'ok.yaml');
    expect(diagnostics).toEqual([]);
    expect(resources[0].manifest.spec.image).toBe('é€𝄞');
  });

  it.each([
    ['an overlong slash', [0xc0, 0xaf]],
    ['a surrogate', [0xed, 0xa0, 0x80]],
    ['beyond U+10FFFF', [0xf4, 0x90, 0x80, 0x80]],
    ['a truncated sequence', [0xe2, 0x82]],
    ['a lone continuation byte', [0x80]],
  ])('refuses %s', (_name, seq) => {
    expect(invalidUtf8Offset(Uint8Array.from([0x61, ...seq]))).toBe(1);
  });

  it('agrees with a fatal TextDecoder on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (bytes) => {
        let valid = true;
        try {
          new TextDecoder('utf-8', { fatal: true }).decode(bytes);
        } catch {
          valid = false;
        }
        expect(invalidUtf8Offset(bytes) < 0).toBe(valid);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('YAML tags', () => {
  it.each([
    ['!!binary', 'image: !!binary aGVsbG8gd29ybGQgaGVsbG8gd29ybGQgaGVsbG8gd29ybGQ='],
    ['!!js/function', 'image: !!js/function "function () { return 1 }"'],
    ['!foo', 'image: !foo x'],
    ['!!set', 'env: !!set {a, b}'],
  ])('refuses %s with one diagnostic at its line', (tag, line) => {
    const { resources, diagnostics } = parseManifests(SERVICE(`  region: us-central1\n  ${line}\n`), 't.yaml');
    expect(resources).toEqual([]);
    expect(diagnostics).toHaveLength(1);
    expect(diagnostics[0]).toMatchObject({ code: 'UnknownTag', pos: { file: 't.yaml', line: 6 } });
    expect(diagnostics[0].message).toContain(tag);
  });

  it('accepts the plain types written with their tags', () => {
    const { resources, diagnostics } = parseManifests(SERVICE('  image: !!str img\n  port: !!int "8080"\n  env: !!map {A: !!str 1}\n  args: !!seq [a]\n'), 't.yaml');
    expect(diagnostics).toEqual([]);
    expect(resources[0].manifest.spec).toEqual({ image: 'img', port: 8080, env: { A: '1' }, args: ['a'] });
  });
});

describe('nesting', () => {
  it('reports 10,000-deep flow nesting as too deep at file:line', () => {
    const { diagnostics } = parseManifests(`a: 1\nb: ${'['.repeat(10_000)}${']'.repeat(10_000)}\n`, 'deep.yaml');
    expect(codes(diagnostics)).toEqual(['NestingTooDeep']);
    expect(diagnostics[0].pos).toMatchObject({ file: 'deep.yaml', line: 2 });
  });

  it('reports deep block nesting at the line where it passes the limit', () => {
    const lines = ['x:'];
    for (let i = 1; i <= MAX_DEPTH + 5; i++) lines.push(`${' '.repeat(i)}y${i}:`);
    const { diagnostics } = parseManifests(`${lines.join('\n')} 1\n`, 'block.yaml');
    expect(codes(diagnostics)).toEqual(['NestingTooDeep']);
    // The document is level 1 (line 1); level MAX_DEPTH + 1 is the mapping starting on line MAX_DEPTH + 1.
    expect(diagnostics[0].pos).toMatchObject({ file: 'block.yaml', line: MAX_DEPTH + 1 });
  });

  it('accepts nesting up to the limit', () => {
    const { diagnostics } = parseManifests(`a: ${'['.repeat(MAX_DEPTH - 1)}${']'.repeat(MAX_DEPTH - 1)}\n`, 'ok.yaml');
    expect(diagnostics).toEqual([]);
  });
});

describe('one diagnostic per offending value', () => {
  const validate = (text: string) => {
    const loaded = parseManifests(text, 'v.yaml');
    return [...loaded.diagnostics, ...validateManifests(loaded.resources, { extraChecks: extraChecks() })];
  };

  it('a mapping with many unknown fields is one problem at the mapping', () => {
    const bytes = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [String(i), i]));
    const ds = validate(SERVICE(`  image: img\n  scaling: ${JSON.stringify(bytes)}\n`));
    expect(ds).toHaveLength(1);
    expect(ds[0]).toMatchObject({ code: 'UnknownField', path: 'spec.scaling', pos: { line: 6 } });
  });

  it('a few unknown fields are still named one by one', () => {
    const ds = validate(SERVICE('  image: img\n  scaling: {maxInstance: 1, minInstance: 0}\n'));
    expect(codes(ds)).toEqual(['UnknownField', 'UnknownField']);
  });
});

describe("Cloud Run's CPU and memory", () => {
  it.each([
    [{ memory: '99999999999999999999999Gi' }, 'spec.resources.memory'],
    [{ memory: '33Gi', cpu: '8' }, 'spec.resources.memory'],
    [{ cpu: 16 }, 'spec.resources.cpu'],
    [{ cpu: '9000m' }, 'spec.resources.cpu'],
    [{ cpu: '3' }, 'spec.resources.cpu'],
    [{ cpu: 0.05 }, 'spec.resources.cpu'],
    [{ memory: '8Gi' }, 'spec.resources.memory'],
    [{ cpu: 0.5, memory: '1Gi' }, 'spec.resources.memory'],
    [{ cpu: '8' }, 'spec.resources.cpu'],
  ])('refuses %j at %s', (resources, at) => {
    const ds = resourceProblems(resources);
    expect(ds.map((d) => [d.code, d.path])).toEqual([['InvalidValue', at]]);
  });

  it.each([[undefined], [{ cpu: '1', memory: '512Mi' }], [{ cpu: 8, memory: '32Gi' }], [{ cpu: '2', memory: '8Gi' }], [{ cpu: '0.5', memory: '256Mi' }], [{ cpu: '4000m', memory: '2Gi' }]])('accepts %j', (resources) => {
    expect(resourceProblems(resources)).toEqual([]);
  });

  it('fails validate at the line of the value', () => {
    const loaded = parseManifests(SERVICE('  image: img\n  resources:\n    memory: 99999999999999999999999Gi\n'), 'm.yaml');
    const ds = validateManifests(loaded.resources, { extraChecks: extraChecks() });
    expect(ds.map((d) => [d.code, d.pos?.line])).toEqual([['InvalidValue', 7]]);
  });
});

describe('Cloud Storage bucket names', () => {
  it.each(['goog-x', 'a..b', '192.168.5.4', 'my-google-bucket', 'g00gle-data', 'ab', 'a'.repeat(64), 'Upper', '-lead', 'trail_', `${'a'.repeat(64)}.b`, `${'a.'.repeat(111)}ab`])('refuses %s', (name) => {
    expect(bucketNameProblem(name)).toBeDefined();
  });

  it.each(['my-proj-gradio-data', 'a_b', 'abc', 'a'.repeat(63), `${'a'.repeat(63)}.${'b'.repeat(63)}.example.com`, '1.2.3'])('accepts %s', (name) => {
    expect(bucketNameProblem(name)).toBeUndefined();
  });

  it('fails validate at the line of the bucket', () => {
    const text = 'apiVersion: runctl.dev/v1alpha1\nkind: Volume\nmetadata: {name: v}\nspec:\n  gcs:\n    bucket: goog-x\n';
    const loaded = parseManifests(text, 'v.yaml');
    const ds = validateManifests(loaded.resources, { extraChecks: extraChecks() });
    expect(ds.map((d) => [d.code, d.path, d.pos?.line])).toEqual([['InvalidValue', 'spec.gcs.bucket', 6]]);
  });
});
