/**
 * Reading a history exported as JSON (`temporal workflow show -o json`, or the Web UI's download).
 * The SDK's converter needs a single copy of protobufjs across @temporalio/*: package.json pins
 * protobufjs at the version @temporalio/proto uses, so npm installs it once at the top level.
 */
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import type * as proto from '@temporalio/proto';

type History = proto.temporal.api.history.v1.IHistory;

export function historyFromJson(raw: unknown): History {
  if (typeof raw !== 'object' || raw === null || !Array.isArray((raw as { events?: unknown }).events)) {
    throw new TypeError('not a history: expected an object with an array of events');
  }
  return historyFromJSON(raw);
}
