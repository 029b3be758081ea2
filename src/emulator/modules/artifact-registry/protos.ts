/**
 * Proto loading for the Artifact Registry module: the gRPC service definition from the
 * protos of `@google-cloud/artifact-registry` (the text the client is generated from),
 * and a protobufjs Root from the same package's descriptors for canonical messages and
 * packing `google.protobuf.Any` (operation metadata and responses).
 */
import type * as protobuf from 'protobufjs';
import { loadProtos, messageRoot, packAny } from '../../grpc';
import type { AnyWire } from '../../longrunning';

const SERVICE_PROTO = 'google/devtools/artifactregistry/v1/service.proto';

let service: any;

/** The `google.devtools.artifactregistry.v1.ArtifactRegistry` gRPC service definition. */
export function arService(): any {
  service ??= loadProtos([SERVICE_PROTO], ['google.devtools.artifactregistry.v1.ArtifactRegistry']).google.devtools.artifactregistry.v1.ArtifactRegistry.service;
  return service;
}

function arRoot(): protobuf.Root {
  return messageRoot(SERVICE_PROTO);
}

/** A message of a full type name in canonical plain form: unknown keys dropped, enums as names, int64 as strings. */
export function canonical(fullName: string, value: unknown): Record<string, any> {
  const type = arRoot().lookupType(fullName);
  return type.toObject(type.fromObject((value ?? {}) as Record<string, any>), { enums: String, longs: String, bytes: String }) as Record<string, any>;
}

/** Pack a plain message of a full type name as an Any. */
export function pack(fullName: string, value: Record<string, unknown>): AnyWire {
  return packAny(fullName, arRoot().lookupType(fullName), value);
}
