import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { keyPositionOf, LOAD_LIMITS, loadManifests, parseManifests } from '../../src/load/loader';

const ROOT = path.resolve(__dirname, '..', '..');
const fixtures = (p: string): string => path.join('test', 'fixtures', p);

const svc = (name: string): string =>
  `apiVersion: runctl.dev/v1alpha1\nkind: Service\nmetadata: {name: ${name}}\nspec: {image: img}\n`;

describe('loadManifests: sources', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'runctl-load-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reads directories recursively, sorted, skipping dot-directories, node_modules and other extensions', async () => {
    mkdirSync(path.join(dir, 'b'));
    mkdirSync(path.join(dir, '.git'));
    mkdirSync(path.join(dir, 'node_modules'));
    writeFileSync(path.join(dir, 'b', 'two.yml'), svc('two'));
    writeFileSync(path.join(dir, 'a.yaml'), svc('one'));
    writeFileSync(path.join(dir, 'c.yaml'), `${svc('three')}---\n${svc('four')}`);
    writeFileSync(path.join(dir, '.git', 'x.yaml'), svc('hidden'));
    writeFileSync(path.join(dir, 'node_modules', 'x.yaml'), svc('dep'));
    writeFileSync(path.join(dir, 'notes.txt'), 'not yaml: [');
    const { resources, diagnostics } = await loadManifests(['.'], { cwd: dir });
    expect(diagnostics).toEqual([]);
    expect(resources.map((r) => r.manifest.metadata.name)).toEqual(['one', 'two', 'three', 'four']);
    expect(resources.map((r) => r.file)).toEqual(['a.yaml', path.join('b', 'two.yml'), 'c.yaml', 'c.yaml']);
  });

  it('reads a file named explicitly whatever its extension, and each file once', async () => {
    writeFileSync(path.join(dir, 'svc.txt'), svc('one'));
    const { resources } = await loadManifests(['svc.txt', path.join(dir, 'svc.txt')], { cwd: dir });
    expect(resources.map((r) => r.manifest.metadata.name)).toEqual(['one']);
  });

  it('reads standard input for -', async () => {
    const stdin = Readable.from([Buffer.from(svc('from-stdin'))]);
    const { resources, diagnostics } = await loadManifests(['-'], { stdin, cwd: dir });
    expect(diagnostics).toEqual([]);
    expect(resources[0].file).toBe('-');
    expect(resources[0].manifest.metadata.name).toBe('from-stdin');
    expect(resources[0].pos).toEqual({ file: '-', line: 1, col: 1 });
  });

  it('reports a missing path and still loads the others', async () => {
    writeFileSync(path.join(dir, 'a.yaml'), svc('one'));
    const { resources, diagnostics } = await loadManifests(['nope.yaml', 'a.yaml'], { cwd: dir });
    expect(resources).toHaveLength(1);
    expect(diagnostics.map((d) => d.code)).toEqual(['Usage']);
    expect(diagnostics[0].message).toContain('nope.yaml');
  });

  it('refuses files above the size limit', async () => {
    const big = path.join(dir, 'big.yaml');
    writeFileSync(big, `# ${'x'.repeat(LOAD_LIMITS.maxBytes)}\n`);
    const { resources, diagnostics } = await loadManifests([big]);
    expect(resources).toEqual([]);
    expect(diagnostics.map((d) => d.code)).toEqual(['InputRefused']);
  });

  it('collects the errors of every file', async () => {
    const { resources, diagnostics } = await loadManifests(
      [fixtures('invalid/malformed.yaml'), fixtures('valid/volume.yaml'), fixtures('invalid/malformed.yaml')],
      { cwd: ROOT },
    );
    expect(resources).toHaveLength(3);
    expect(diagnostics).toHaveLength(1);
  });
});

describe('parseManifests: documents', () => {
  it('reports malformed YAML with file:line:column and never throws', () => {
    const cases: Array<{ reason: string; text: string; line: number; col: number }> = [
      { reason: 'unclosed flow mapping', text: 'kind: Service\nmetadata: {name: a\nspec: {}\n', line: 3, col: 1 },
      { reason: 'duplicate key', text: 'kind: Service\nkind: Volume\n', line: 2, col: 1 },
      { reason: 'tab indentation', text: 'spec:\n\t- x\n', line: 2, col: 1 },
      { reason: 'bad indentation', text: 'metadata:\n  name: a\n   labels: {}\n', line: 2, col: 9 },
    ];
    for (const c of cases) {
      const { resources, diagnostics } = parseManifests(c.text, 'm.yaml');
      expect(resources, c.reason).toEqual([]);
      expect(diagnostics, c.reason).toHaveLength(1);
      expect(diagnostics[0], c.reason).toMatchObject({ code: 'YamlSyntax', pos: { file: 'm.yaml', line: c.line, col: c.col } });
      expect(diagnostics[0].message, c.reason).not.toMatch(/at line/);
    }
  });

  it('stops alias bombs', () => {
    const lines = ['a: &a [x, x, x, x, x, x, x, x, x]'];
    for (const [n, p] of [['b', 'a'], ['c', 'b'], ['d', 'c']]) lines.push(`${n}: &${n} [${Array(9).fill(`*${p}`).join(', ')}]`);
    lines.push(`e: [${Array(9).fill('*d').join(', ')}]`);
    const { resources, diagnostics } = parseManifests(lines.join('\n'), 'bomb.yaml');
    expect(resources).toEqual([]);
    expect(diagnostics.map((d) => d.code)).toEqual(['YamlSyntax']);
  });

  it('skips empty documents and reports documents that are not mappings', () => {
    const text = `---\n# nothing\n---\n${svc('a')}---\n- a list\n---\njust text\n---\n`;
    const { resources, diagnostics } = parseManifests(text, 'm.yaml');
    expect(resources.map((r) => r.manifest.metadata.name)).toEqual(['a']);
    expect(diagnostics.map((d) => [d.code, d.pos?.line])).toEqual([
      ['SchemaViolation', 9],
      ['SchemaViolation', 11],
    ]);
  });

  it('keeps a good document when another document of the file is malformed', () => {
    const { resources, diagnostics } = parseManifests(`${svc('a')}---\nkind: [\n`, 'm.yaml');
    expect(resources.map((r) => r.manifest.metadata.name)).toEqual(['a']);
    expect(diagnostics.map((d) => d.code)).toEqual(['YamlSyntax']);
  });

  it('supports anchors, aliases and merge keys', () => {
    const text = [
      'apiVersion: runctl.dev/v1alpha1',
      'kind: Service',
      'metadata: {name: a}',
      'spec:',
      '  scaling: &s {minInstances: 1}',
      '  image: img',
      '---',
      'base: &base {image: img, port: 9000}',
      'spec:',
      '  <<: *base',
      '  port: 9001',
    ].join('\n');
    const { resources } = parseManifests(text, 'm.yaml');
    expect((resources[1].manifest as any).spec).toEqual({ image: 'img', port: 9001 });
    expect(resources[1].positionOf(['spec', 'image'])).toEqual({ file: 'm.yaml', line: 8, col: 21 });
  });
});

describe('positionOf', () => {
  const text = [
    'apiVersion: runctl.dev/v1alpha1', // 1
    'kind: Service', // 2
    'metadata: {name: jokes, labels: {app: jokes}}', // 3
    'spec:', // 4
    '  image: img', // 5
    '  env:', // 6
    '    EMPTY:', // 7
    '  volumes:', // 8
    '    - volume: data', // 9
    '      mountPath: /data', // 10
    '    - {volume: other, mountPath: /o}', // 11
  ].join('\n');
  const lm = parseManifests(`# leading comment\n${text}`, 'f.yaml').resources[0];
  const at = (line: number, col: number) => ({ file: 'f.yaml', line: line + 1, col });

  it('points at scalar values, including inside flow collections and sequences', () => {
    expect(lm.pos).toEqual(at(1, 1));
    expect(lm.positionOf(['kind'])).toEqual(at(2, 7));
    expect(lm.positionOf(['metadata', 'name'])).toEqual(at(3, 18));
    expect(lm.positionOf(['metadata', 'labels', 'app'])).toEqual(at(3, 39));
    expect(lm.positionOf(['spec', 'volumes', 0, 'volume'])).toEqual(at(9, 15));
    expect(lm.positionOf(['spec', 'volumes', '1', 'mountPath'])).toEqual(at(11, 34));
  });

  it('points at the key for collections and empty values', () => {
    expect(lm.positionOf(['spec'])).toEqual(at(4, 1));
    expect(lm.positionOf(['spec', 'env', 'EMPTY'])).toEqual(at(7, 5));
    expect(lm.positionOf(['spec', 'volumes', 0])).toEqual(at(9, 7));
  });

  it('falls back to the closest existing ancestor', () => {
    expect(lm.positionOf(['spec', 'scaling', 'maxInstances'])).toEqual(at(4, 1));
    expect(lm.positionOf(['spec', 'volumes', 7, 'volume'])).toEqual(at(8, 3));
    expect(lm.positionOf(['nothing'])).toEqual(lm.pos);
  });

  it('keyPositionOf points at the key', () => {
    expect(keyPositionOf(lm, ['spec', 'image'])).toEqual(at(5, 3));
    expect(keyPositionOf(lm, ['metadata', 'name'])).toEqual(at(3, 12));
  });
});

describe('collection keys', () => {
  it('reports a list used as a mapping key instead of stringifying it', () => {
    const r = parseManifests('apiVersion: runctl.dev/v1alpha1\nkind: Service\nmetadata: {name: x}\nspec:\n  ? [a, b]\n  : 1\n', 'k.yaml');
    expect(r.resources).toHaveLength(0);
    expect(r.diagnostics).toEqual([expect.objectContaining({ code: 'YamlSyntax', pos: { file: 'k.yaml', line: 5, col: 5 } })]);
  });
});
