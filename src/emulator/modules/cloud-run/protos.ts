/**
 * Proto loading for the Cloud Run module. The gRPC service definitions come from the
 * protos shipped with `@google-cloud/run` (the same text the client is generated from);
 * a protobufjs Root from the same files packs `google.protobuf.Any` payloads and
 * canonicalises incoming messages.
 */
import type * as protobuf from 'protobufjs';
import { loadProtos, messageRoot, messageType as sharedMessageType, packAny } from '../../grpc';

const FILES = [
  'google/cloud/run/v2/service.proto',
  'google/cloud/run/v2/revision.proto',
  'google/longrunning/operations.proto',
  'google/cloud/location/locations.proto',
];

/** The loaded definitions, built once per process. */
export interface RunProtos {
  /** gRPC service definitions (`.service` of each). */
  services: any;
  revisions: any;
  operations: any;
  /** `google.cloud.location.Locations`, the mixin the v2 clients call `listLocations`. */
  locations: any;
  root: protobuf.Root;
}

let cached: RunProtos | undefined;

/** Load (once) the Run, IAM and longrunning protos for gRPC and protobufjs. */
export function runProtos(): RunProtos {
  if (cached) return cached;
  const pkg = loadProtos(FILES, ['google.cloud.run.v2.Services', 'google.cloud.run.v2.Revisions']);
  const root = messageRoot(FILES[0]);
  cached = {
    services: pkg.google.cloud.run.v2.Services,
    revisions: pkg.google.cloud.run.v2.Revisions,
    operations: pkg.google.longrunning.Operations,
    locations: pkg.google.cloud.location.Locations,
    root,
  };
  return cached;
}

/** A message type by its full name, e.g. `google.cloud.run.v2.Service`. */
export function messageType(fullName: string): protobuf.Type {
  return sharedMessageType(FILES[0], fullName);
}

/**
 * Canonical plain form of a message: unknown keys and the virtual oneof keys that
 * proto-loader adds (`probeType`, `binauthzMethod`, ...) are dropped, enums are names,
 * int64 are strings, bytes are base64. Stored state always has this shape.
 */
export function canonical(fullName: string, value: unknown): Record<string, any> {
  const type = messageType(fullName);
  const plain = type.toObject(type.fromObject((value ?? {}) as Record<string, any>), {
    enums: String,
    longs: String,
    bytes: String,
  }) as Record<string, any>;
  return stripZeroValues(type, plain);
}

/** Whether a field tracks presence (messages, oneof members, proto3 `optional`). */
function hasPresence(field: protobuf.Field): boolean {
  return !!field.partOf || !!field.resolvedType?.hasOwnProperty('fieldsArray');
}

function isZero(field: protobuf.Field, v: unknown): boolean {
  const enumType = field.resolvedType as protobuf.Enum | null;
  if (enumType && 'values' in enumType) return v === 0 || enumType.values[v as string] === 0;
  return v === 0 || v === '0' || v === false || v === '';
}

/**
 * Drop proto3 implicit-presence fields holding their zero value (clients may send
 * explicit zeros such as `*_UNSPECIFIED` enums): unset and zero are the same value.
 */
function stripZeroValues(type: protobuf.Type, obj: Record<string, any>): Record<string, any> {
  for (const field of type.fieldsArray) {
    const v = obj[field.name];
    if (v === undefined) continue;
    const nested = field.resolvedType && 'fieldsArray' in field.resolvedType ? (field.resolvedType as protobuf.Type) : undefined;
    if (field.map) {
      if (nested) for (const k of Object.keys(v)) stripZeroValues(nested, v[k]);
    } else if (field.repeated) {
      if (nested) v.forEach((item: Record<string, any>) => stripZeroValues(nested, item));
    } else if (nested) {
      stripZeroValues(nested, v);
    } else if (!hasPresence(field) && isZero(field, v)) {
      delete obj[field.name];
    }
  }
  return obj;
}

/** Pack a Cloud Run message (`Service`, `Revision`) as an Any. */
export function packRun(shortType: 'Service' | 'Revision', value: unknown): { typeUrl: string; value: Buffer } {
  const fullName = `google.cloud.run.v2.${shortType}`;
  return packAny(fullName, messageType(fullName), value);
}

/** Field names (camelCase) of a message type. */
export function fieldNames(fullName: string): Set<string> {
  return new Set(messageType(fullName).fieldsArray.map((f) => f.name));
}
