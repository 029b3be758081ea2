/**
 * `lazyCodegen` (src/util/grpc-defs.ts) makes each of a message type's five functions
 * when it is first called instead of all five at once. What they compute must not
 * change: bytes, decoded objects, verification and conversions equal those of the
 * functions protobufjs's own generators make for the same type.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import type * as protobuf from 'protobufjs';
import { lazyRoot } from '../../src/util/grpc-defs';

const pb = require('protobufjs') as typeof protobuf;
interface Gen {
  encoder(t: protobuf.Type): (s: object) => (m: unknown) => protobuf.Writer;
  decoder(t: protobuf.Type): (s: object) => (r: protobuf.Reader) => unknown;
  verifier(t: protobuf.Type): (s: object) => (m: unknown) => string | null;
  converter: { fromObject(t: protobuf.Type): (s: object) => (o: unknown) => unknown; toObject(t: protobuf.Type): (s: object) => (m: unknown, o?: object) => unknown };
}
const gen = pb as unknown as Gen;

function root(pkg: string): protobuf.Root {
  const file = path.join(path.dirname(require.resolve(`${pkg}/package.json`)), 'build', 'protos', 'protos.json');
  return lazyRoot(pb, JSON.parse(fs.readFileSync(file, 'utf8')));
}

/** The functions protobufjs's own `setup` would make for `type`, made directly. */
function eager(type: protobuf.Type) {
  const types = type.fieldsArray.map((f) => f.resolve().resolvedType);
  // Generated code reads `this.ctor`: call each as a method of the type, as protobufjs does.
  const bind = <F extends (...a: never[]) => unknown>(f: F) => f.bind(type) as F;
  return {
    encode: bind(gen.encoder(type)({ Writer: pb.Writer, types, util: pb.util })),
    decode: bind(gen.decoder(type)({ Reader: pb.Reader, types, util: pb.util })),
    verify: bind(gen.verifier(type)({ types, util: pb.util })),
    fromObject: bind(gen.converter.fromObject(type)({ types, util: pb.util })),
    toObject: bind(gen.converter.toObject(type)({ types, util: pb.util })),
  };
}

const SERVICE = {
  name: 'projects/p/locations/l/services/s',
  labels: { 'managed-by': 'runctl' },
  ingress: 'INGRESS_TRAFFIC_INTERNAL_ONLY',
  template: {
    containers: [{ image: 'i', env: [{ name: 'A', value: 'b' }, { name: 'S', valueSource: { secretKeyRef: { secret: 's', version: '1' } } }], ports: [{ containerPort: 8080 }], resources: { limits: { cpu: '1', memory: '512Mi' } } }],
    scaling: { maxInstanceCount: 3 },
    timeout: { seconds: '300' },
    volumes: [{ name: 'v', gcs: { bucket: 'b', readOnly: true } }],
  },
  traffic: [{ type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST', percent: 100 }],
  generation: '4',
};

describe('lazyCodegen', () => {
  it('makes a type\'s functions one at a time, on first call', () => {
    const type = root('@google-cloud/run').lookupType('google.cloud.run.v2.Service');
    const msg = type.fromObject(SERVICE);
    const own = type as unknown as Record<string, unknown>;
    // fromObject is made; the others are still the first-call stubs.
    expect((own.encode as { name: string }).name).toBe('firstCall');
    expect((own.toObject as { name: string }).name).toBe('firstCall');
    type.encode(msg);
    expect((own.encode as { name: string }).name).not.toBe('firstCall');
    expect((own.verify as { name: string }).name).toBe('firstCall');
  });

  it('encodes, decodes, verifies and converts exactly as protobufjs\'s own functions', () => {
    const type = root('@google-cloud/run').lookupType('google.cloud.run.v2.Service');
    const ref = eager(type);
    const lazyMsg = type.fromObject(SERVICE);
    const refMsg = ref.fromObject(SERVICE);
    const bytes = type.encode(lazyMsg).finish();
    expect(Buffer.from(bytes)).toEqual(Buffer.from(ref.encode(refMsg).finish()));
    const options = { longs: String, enums: String, defaults: true, oneofs: true };
    expect(type.toObject(type.decode(bytes), options)).toEqual(ref.toObject(ref.decode(pb.Reader.create(bytes)), options));
    expect(type.verify(SERVICE)).toBe(ref.verify(SERVICE));
    expect(type.verify({ name: 5 })).toBe(ref.verify({ name: 5 }));
  });

  it('leaves types with a wrapper (google.protobuf.Any) to protobufjs\'s setup', () => {
    const r = root('@google-cloud/run');
    const op = r.lookupType('google.longrunning.Operation');
    const packed = { name: 'o', done: true, response: { type_url: 'type.googleapis.com/google.cloud.run.v2.Service', value: Buffer.from('') } };
    const bytes = op.encode(op.fromObject(packed)).finish();
    const back = op.toObject(op.decode(bytes)) as { response: { type_url: string } };
    expect(back.response.type_url).toBe('type.googleapis.com/google.cloud.run.v2.Service');
    const any = r.lookupType('google.protobuf.Any') as unknown as Record<string, { name: string }>;
    expect(any.fromObject.name).not.toBe('firstCall');
  });
});
