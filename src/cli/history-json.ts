/**
 * Reading a history exported as JSON (`temporal workflow show -o json`, or the Web UI's download).
 * The SDK's historyFromJSON is tried first; when the install holds two copies of protobufjs (the
 * one @temporalio/common loads is not the one @temporalio/proto's types were built with, as in
 * this repository's lockfile) it fails with "type must be a Type", so the same proto-JSON parser is
 * then taken from the copy that @temporalio/proto itself uses.
 */
import path from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import * as proto from '@temporalio/proto';
import { patchProtobufRoot } from '@temporalio/proto/lib/patch-protobuf-root';

type History = proto.temporal.api.history.v1.IHistory;

export function historyFromJson(raw: unknown): History {
  if (typeof raw !== 'object' || raw === null || !Array.isArray((raw as { events?: unknown }).events)) {
    throw new TypeError('not a history: expected an object with an array of events');
  }
  try {
    return historyFromJSON(raw);
  } catch (err) {
    if (!(err instanceof TypeError) || !/must be a Type/.test(err.message)) throw err;
  }
  const protoDir = path.dirname(require.resolve('@temporalio/proto'));
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const protojson = require(require.resolve('protobufjs/ext/protojson', { paths: [protoDir] })) as {
    fromJson(type: unknown, json: unknown, options: { ignoreUnknownFields: boolean }): History | null;
  };
  const type = (patchProtobufRoot(proto) as unknown as { lookupType(n: string): unknown }).lookupType('temporal.api.history.v1.History');
  const history = protojson.fromJson(type, raw, { ignoreUnknownFields: true });
  if (!history) throw new TypeError('not a valid history');
  return history;
}
