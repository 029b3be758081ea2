/**
 * Building the request message of a REST call the way Google's front end does
 * (google/api/http.proto): path variables, then the body (`*` = the whole request,
 * a field name = that field), then every other query parameter bound to a request
 * field by its (dotted) name. Values follow the proto3 JSON mapping.
 */
import type * as protobuf from 'protobufjs';
import { Code, EmulatorError } from '../errors';

type Json = Record<string, unknown>;

/**
 * Query parameters every Google API accepts that are not request fields (system
 * parameters, https://cloud.google.com/apis/docs/system-parameters). `fields`/`$fields`
 * (response filtering) is accepted and ignored: answering every field is what a
 * client asking for fewer can always read.
 */
const SYSTEM_PARAMETERS = new Set([
  'alt', 'fields', 'key', 'access_token', 'oauth_token', 'prettyPrint', 'quotaUser', 'userIp',
  'callback', 'upload_protocol', 'uploadType', 'userProject', 'requestReason',
]);

/** Whether a query parameter is a system parameter (also in its `$name` and `$.name` forms). */
export function isSystemParameter(name: string): boolean {
  return name.startsWith('$') || SYSTEM_PARAMETERS.has(name);
}

const camel = (s: string) => s.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

function invalid(message: string): EmulatorError {
  return new EmulatorError(Code.INVALID_ARGUMENT, `Invalid JSON payload received. ${message}`);
}

/** The field of `type` named `name` (JSON or proto spelling). */
function fieldOf(type: protobuf.Type, name: string): protobuf.Field | undefined {
  return type.fields[camel(name)] ?? type.fieldsArray.find((f) => f.name === name);
}

/** Set a dotted field path in a JSON request, creating the messages on the way. */
function setPath(target: Json, type: protobuf.Type, fieldPath: string, value: unknown, append: boolean): void {
  const parts = fieldPath.split('.');
  let obj = target;
  let t: protobuf.Type = type;
  parts.forEach((part, i) => {
    const field = fieldOf(t, part);
    if (!field) throw invalid(`Unknown name "${fieldPath}": Cannot bind query parameter. Field '${part}' could not be found in request message.`);
    const key = field.name;
    if (i === parts.length - 1) {
      if (append && field.repeated) obj[key] = [...((obj[key] as unknown[]) ?? []), value];
      else obj[key] = value;
      return;
    }
    const next = field.resolvedType;
    if (!next || !('fieldsArray' in next)) throw invalid(`Unknown name "${fieldPath}": Cannot bind query parameter. '${part}' is not a message.`);
    obj[key] = (obj[key] as Json | undefined) ?? {};
    obj = obj[key] as Json;
    t = next as protobuf.Type;
  });
}

/** The leaf field of a dotted path (for converting a query string value). */
function leafField(type: protobuf.Type, fieldPath: string): protobuf.Field {
  let t = type;
  let field: protobuf.Field | undefined;
  for (const part of fieldPath.split('.')) {
    field = fieldOf(t, part);
    if (!field) throw invalid(`Unknown name "${fieldPath}": Cannot bind query parameter. Field '${part}' could not be found in request message.`);
    if (field.resolvedType && 'fieldsArray' in field.resolvedType) t = field.resolvedType as protobuf.Type;
  }
  return field!;
}

/** Well-known types whose JSON form is a string or a number, so they can sit in a query string. */
const SCALAR_MESSAGES: Record<string, 'string' | 'number' | 'bool'> = {
  '.google.protobuf.FieldMask': 'string', '.google.protobuf.Timestamp': 'string', '.google.protobuf.Duration': 'string',
  '.google.protobuf.StringValue': 'string', '.google.protobuf.BytesValue': 'string', '.google.protobuf.Int64Value': 'string',
  '.google.protobuf.UInt64Value': 'string', '.google.protobuf.Int32Value': 'number', '.google.protobuf.UInt32Value': 'number',
  '.google.protobuf.DoubleValue': 'number', '.google.protobuf.FloatValue': 'number', '.google.protobuf.BoolValue': 'bool',
};

/** A query string value as the JSON value of the field it binds. */
function queryValue(field: protobuf.Field, fieldPath: string, raw: string): unknown {
  const resolved = field.resolvedType;
  let kind: 'string' | 'number' | 'bool' | 'enum';
  if (resolved && 'values' in resolved) kind = 'enum';
  else if (resolved) {
    const scalar = SCALAR_MESSAGES[resolved.fullName];
    if (!scalar) throw invalid(`Unknown name "${fieldPath}": Cannot bind query parameter. Field '${fieldPath}' is a message type.`);
    kind = scalar;
  } else if (['int32', 'uint32', 'sint32', 'fixed32', 'sfixed32', 'float', 'double'].includes(field.type)) kind = 'number';
  else if (field.type === 'bool') kind = 'bool';
  else kind = 'string';
  switch (kind) {
    case 'number': {
      const n = Number(raw);
      if (raw.trim() === '' || Number.isNaN(n)) throw invalid(`Invalid value at '${fieldPath}' (TYPE_${field.type.toUpperCase()}), "${raw}"`);
      return n;
    }
    case 'bool':
      if (raw !== 'true' && raw !== 'false') throw invalid(`Invalid value at '${fieldPath}' (TYPE_BOOL), "${raw}"`);
      return raw === 'true';
    case 'enum':
      return /^-?\d+$/.test(raw) ? Number(raw) : raw;
    default:
      return raw;
  }
}

/** The pieces of a REST call bound to one HTTP rule. */
export interface RestCall {
  pathValues: Record<string, string>;
  query: URLSearchParams;
  /** Parsed JSON body (undefined when none). */
  body: unknown;
  /** The rule's `body`: `*`, a field path, or undefined. */
  bodyField?: string;
}

/** The request message, in proto3 JSON form, of a REST call. */
export function requestJson(type: protobuf.Type, call: RestCall): Json {
  const out: Json = {};
  if (call.bodyField === '*') {
    if (call.body !== undefined && (typeof call.body !== 'object' || call.body === null || Array.isArray(call.body))) throw invalid('The request body must be a JSON object.');
    Object.assign(out, call.body ?? {});
  } else if (call.bodyField && call.body !== undefined) {
    setPath(out, type, call.bodyField, call.body, false);
  }
  // Path variables win over the same fields in the body, as the URL names the resource.
  for (const [fieldPath, value] of Object.entries(call.pathValues)) setPath(out, type, fieldPath, value, false);
  for (const [name, raw] of call.query) {
    if (isSystemParameter(name)) continue;
    const field = leafField(type, name);
    setPath(out, type, name, queryValue(field, name, raw), true);
  }
  return out;
}
