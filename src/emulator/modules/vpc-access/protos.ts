/**
 * Proto loading for the Serverless VPC Access module: gRPC definitions and a protobufjs
 * Root from the protos shipped with `@google-cloud/vpc-access` (the text its client is
 * generated from), to pack `google.protobuf.Any` payloads of operations.
 */
import type * as protobuf from 'protobufjs';
import { loadProtos, messageRoot, packAny } from '../../grpc';

const FILES = ['google/cloud/vpcaccess/v1/vpc_access.proto'];
const PKG = 'google.cloud.vpcaccess.v1';

/** The loaded definitions, built once per process. */
export interface VpcProtos {
  /** gRPC service definition of `VpcAccessService`. */
  service: any;
  root: protobuf.Root;
}

let cached: VpcProtos | undefined;

/** Load (once) the VPC Access protos for gRPC and protobufjs. */
export function vpcProtos(): VpcProtos {
  if (cached) return cached;
  const pkg = loadProtos(FILES, [`${PKG}.VpcAccessService`]);
  const root = messageRoot(FILES[0]);
  cached = { service: pkg.google.cloud.vpcaccess.v1.VpcAccessService, root };
  return cached;
}

/** Full type names of what operations carry. */
export const TYPES = {
  connector: `${PKG}.Connector`,
  metadata: `${PKG}.OperationMetadata`,
  empty: 'google.protobuf.Empty',
} as const;

/** Pack a message of a full type name (`TYPES`) as an Any. */
export function packVpc(fullName: string, value: unknown): { typeUrl: string; value: Buffer } {
  return packAny(fullName, vpcProtos().root.lookupType(fullName), value);
}
