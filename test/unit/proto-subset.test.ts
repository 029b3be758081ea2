import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLIENT_SUBSETS } from '../../src/gcp/client-modules';
import { protoSubset } from '../../src/gcp/proto-subset';

const protobuf = require('protobufjs') as typeof import('protobufjs');

function fullProtos(pkg: string): any {
  const dir = path.dirname(require.resolve(`${pkg}/package.json`));
  return JSON.parse(fs.readFileSync(path.join(dir, 'build', 'protos', 'protos.json'), 'utf8'));
}

/** Full names of every service a root describes. */
function allServices(root: import('protobufjs').NamespaceBase): string[] {
  const out: string[] = [];
  for (const o of root.nestedArray) {
    if (o instanceof protobuf.Service) out.push(o.fullName.replace(/^\./, ''));
    else if (o instanceof protobuf.Namespace) out.push(...allServices(o));
  }
  return out;
}

describe('proto subsets of the client packages', () => {
  for (const [pkg, { clients }] of Object.entries(CLIENT_SUBSETS)) {
    it(`${pkg}: every method of every client keeps its request, response and operation types`, () => {
      const json = fullProtos(pkg);
      const { json: subset, services } = protoSubset(json, clients, protobuf);
      expect(Object.keys(services).sort()).toEqual([...clients].sort());
      const full = protobuf.Root.fromJSON(json);
      const small = protobuf.Root.fromJSON(subset);
      small.resolveAll();
      let methods = 0;
      for (const name of Object.values(services)) {
        const a = full.lookupService(name);
        const b = small.lookupService(name);
        expect(Object.keys(b.methods).sort()).toEqual(Object.keys(a.methods).sort());
        for (const m of b.methodsArray) {
          m.resolve();
          const original = a.methods[m.name].resolve() as import('protobufjs').Method;
          expect(m.resolvedRequestType!.fullName).toBe(original.resolvedRequestType!.fullName);
          // Same wire shape: the same fields with the same numbers and types.
          const shape = (t: import('protobufjs').Type) => t.fieldsArray.map((f) => `${f.id}:${f.name}:${f.type}`);
          expect(shape(m.resolvedResponseType!)).toEqual(shape(original.resolvedResponseType!));
          // HTTP rules (REST transports) and operation info survive.
          expect(m.parsedOptions).toEqual(a.methods[m.name].parsedOptions);
          const lro = m.options?.['(google.longrunning.operation_info).response_type'];
          if (typeof lro === 'string') expect(b.lookup(lro)).toBeTruthy();
          methods++;
        }
      }
      expect(methods).toBeGreaterThan(clients.length);
      // Smaller whenever the package describes services runctl does not use; a package of
      // one service (VPC Access) keeps all of it.
      const kept = new Set(allServices(small));
      const others = allServices(full).filter((s) => !kept.has(s));
      if (others.length) expect(JSON.stringify(subset).length).toBeLessThan(JSON.stringify(json).length);
      else expect(JSON.stringify(subset).length).toBeLessThanOrEqual(JSON.stringify(json).length);
    });
  }

  it('throws for a client the package does not have', () => {
    expect(() => protoSubset(fullProtos('@google-cloud/run'), ['NoSuchClient'], protobuf)).toThrow(/NoSuchClient/);
  });

  it('lists every client class the code builds', () => {
    // Names given to clients.compute()/monitoring() and the load balancer's client table.
    const roots = ['src', 'controllers'].map((d) => path.join(__dirname, '..', '..', d));
    const used = new Set<string>();
    const walk = (dir: string): void => {
      for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else if (p.endsWith('.ts')) {
          const text = fs.readFileSync(p, 'utf8');
          for (const m of text.matchAll(/(?:compute|monitoring)\('([A-Za-z]+Client)'\)|client: '([A-Za-z]+Client)'/g)) used.add(m[1] ?? m[2]);
        }
      }
    };
    roots.forEach(walk);
    const listed = new Set(Object.values(CLIENT_SUBSETS).flatMap((s) => s.clients));
    expect(used.size).toBeGreaterThan(5);
    for (const name of used) expect(listed, `${name} is built by the code but not in CLIENT_SUBSETS`).toContain(name);
  });
});
