/**
 * @module gateway/proto-json
 * etcd's JSON mapping of any vendored message, as etcd 3.4's grpc-gateway (jsonpb, OrigName)
 * reads and prints it, driven by the schema instead of one hand-written shape per message.
 * Requests: proto or lowerCamelCase field names, bytes as base64, 64-bit integers as strings or
 * numbers, enums as names or numbers, null as the default, unknown fields ignored; anything
 * else is a 400. The request is then encoded and decoded by the method's own serializers, so a
 * handler receives exactly what grpc-js would hand it. Responses: proto field names, default
 * values left out, int64s as decimal strings, bytes as base64, enums as names.
 */
import protobuf from 'protobufjs';
import type { MethodDefinition } from '@grpc/grpc-js';
import { badRequest } from '../etcd-errors.js';
import { protoDir } from '../grpc/proto.js';

type Json = Record<string, unknown>;

let root: protobuf.Root | undefined;

/** The vendored schema with proto field names (one load). */
function schema(): protobuf.Root {
  if (!root) {
    root = new protobuf.Root();
    root.loadSync(['rpc.proto', 'v3lock.proto', 'v3election.proto'].map((f) => protoDir + f), { keepCase: true });
    root.resolveAll();
  }
  return root;
}

/** A method's request and response types, by `package.Service` and method name. */
export function methodTypes(service: string, method: string): { request: protobuf.Type; response: protobuf.Type } {
  const m = schema().lookupService(service).methods[method];
  if (!m?.resolvedRequestType || !m.resolvedResponseType) throw new Error(`no method ${service}.${method}`);
  return { request: m.resolvedRequestType, response: m.resolvedResponseType };
}

// Go's base64.StdEncoding (and the URL alphabet, which jsonpb also takes), padding optional.
const BASE64 = /^(?:[A-Za-z0-9+/\-_]{4})*(?:[A-Za-z0-9+/\-_]{2}(?:==)?|[A-Za-z0-9+/\-_]{3}=?)?$/;
const LONG_TYPES = new Set(['int64', 'uint64', 'sint64', 'fixed64', 'sfixed64']);
const INT_TYPES = new Set(['int32', 'uint32', 'sint32', 'fixed32', 'sfixed32']);

const BOUNDS: Record<string, readonly [bigint, bigint]> = {
  int64: [-(2n ** 63n), 2n ** 63n - 1n],
  sint64: [-(2n ** 63n), 2n ** 63n - 1n],
  sfixed64: [-(2n ** 63n), 2n ** 63n - 1n],
  uint64: [0n, 2n ** 64n - 1n],
  fixed64: [0n, 2n ** 64n - 1n],
  int32: [-(2n ** 31n), 2n ** 31n - 1n],
  sint32: [-(2n ** 31n), 2n ** 31n - 1n],
  sfixed32: [-(2n ** 31n), 2n ** 31n - 1n],
  uint32: [0n, 2n ** 32n - 1n],
  fixed32: [0n, 2n ** 32n - 1n],
};

const jsonNames = new WeakMap<protobuf.Type, Map<string, protobuf.Field>>();

function fieldByName(type: protobuf.Type, name: string): protobuf.Field | undefined {
  let byName = jsonNames.get(type);
  if (!byName) {
    byName = new Map();
    for (const f of type.fieldsArray) {
      byName.set(f.name, f);
      byName.set(protobuf.util.camelCase(f.name), f);
    }
    jsonNames.set(type, byName);
  }
  return byName.get(name);
}

const kindOf = (v: unknown) => (Array.isArray(v) ? 'array' : v === null ? 'null' : typeof v);
const wrong = (v: unknown, goType: string) => badRequest(`json: cannot unmarshal ${kindOf(v)} into Go value of type ${goType}`);

function scalar(f: protobuf.Field, v: unknown): unknown {
  const t = f.resolvedType;
  if (t instanceof protobuf.Type) return toProtoObject(t, v);
  if (t instanceof protobuf.Enum) {
    if (typeof v === 'number' && Number.isInteger(v)) return v;
    if (typeof v === 'string' && v in t.values) return t.values[v];
    throw badRequest(`unknown value ${JSON.stringify(v)} for enum ${t.fullName.slice(1)}`);
  }
  if (f.type === 'bytes') {
    if (typeof v !== 'string') throw wrong(v, '[]uint8');
    if (!BASE64.test(v)) throw badRequest('illegal base64 data at input byte 0');
    return Buffer.from(v, 'base64');
  }
  if (LONG_TYPES.has(f.type) || INT_TYPES.has(f.type)) {
    const s = typeof v === 'number' && Number.isSafeInteger(v) ? String(v) : v;
    if (typeof s !== 'string' || !/^-?[0-9]{1,20}$/.test(s)) throw wrong(v, f.type);
    // Out of the type's range is Go's error too (protobufjs would wrap it silently).
    const [lo, hi] = BOUNDS[f.type] ?? BOUNDS.int64!;
    const n = BigInt(s);
    if (n < lo || n > hi) throw badRequest(`json: cannot unmarshal number ${s} into Go value of type ${f.type}`);
    return LONG_TYPES.has(f.type) ? s : Number(s);
  }
  if (f.type === 'bool') {
    if (typeof v !== 'boolean') throw wrong(v, 'bool');
    return v;
  }
  if (f.type === 'string') {
    if (typeof v !== 'string') throw wrong(v, 'string');
    return v;
  }
  if (typeof v !== 'number') throw wrong(v, f.type);
  return v;
}

/** A JSON body → the plain object protobufjs' fromObject takes, checked field by field. */
function toProtoObject(type: protobuf.Type, json: unknown): Json {
  if (json === null || json === undefined) return {};
  if (typeof json !== 'object' || Array.isArray(json)) throw wrong(json, type.fullName.slice(1));
  const out: Json = {};
  for (const [name, v] of Object.entries(json as Json)) {
    const f = fieldByName(type, name);
    if (!f || v === null) continue;
    if (f.repeated) {
      if (!Array.isArray(v)) throw wrong(v, `[]${f.type}`);
      out[f.name] = v.map((x) => scalar(f, x));
    } else {
      out[f.name] = scalar(f, v);
    }
  }
  return out;
}

/** A JSON request body → the request object a grpc-js handler of `method` receives. */
export function requestFromJson(def: MethodDefinition<unknown, unknown>, type: protobuf.Type, json: unknown): Record<string, unknown> {
  const bytes = type.encode(type.fromObject(toProtoObject(type, json))).finish();
  return def.requestDeserialize(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)) as Record<string, unknown>;
}

function valueJson(f: protobuf.Field, v: unknown): unknown {
  const t = f.resolvedType;
  if (t instanceof protobuf.Type) return messageJson(t, v as protobuf.Message);
  if (t instanceof protobuf.Enum) return t.valuesById[v as number] ?? v;
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64');
  if (LONG_TYPES.has(f.type)) return String(v);
  return v;
}

function isDefault(f: protobuf.Field, v: unknown): boolean {
  if (v === null || v === undefined) return true;
  if (f.resolvedType instanceof protobuf.Type) return false;
  if (v instanceof Uint8Array) return v.length === 0;
  if (typeof v === 'object') return String(v) === '0'; // a Long
  return v === 0 || v === false || v === '';
}

function messageJson(type: protobuf.Type, msg: protobuf.Message): Json {
  const out: Json = {};
  const m = msg as unknown as Record<string, unknown>;
  for (const f of type.fieldsArray) {
    const v = m[f.name];
    if (f.repeated) {
      if (Array.isArray(v) && v.length > 0) out[f.name] = v.map((x) => valueJson(f, x));
      continue;
    }
    // A set oneof member is printed even at its default, as jsonpb does.
    const chosen = f.partOf !== null && m[f.partOf.name] === f.name;
    if (!isDefault(f, v) || (chosen && v !== null && v !== undefined)) out[f.name] = valueJson(f, v);
  }
  return out;
}

/** A handler's response object → etcd's JSON, through the method's own serializer. */
export function responseToJson(def: MethodDefinition<unknown, unknown>, type: protobuf.Type, msg: unknown): Json {
  return messageJson(type, type.decode(def.responseSerialize(msg)));
}
