/**
 * Reading a history exported as JSON (`temporal workflow show -o json`, or the Web UI's download). The SDK's replay
 * API (Worker.runReplayHistory / runReplayHistories) accepts that JSON as it is and decodes it itself, so this only
 * checks the shape before the replay starts.
 */

/** A history in the proto-JSON form the `temporal` CLI and the Web UI export. */
export interface ExportedHistory {
  readonly events: readonly unknown[];
}

export function historyFromJson(raw: unknown): ExportedHistory {
  if (typeof raw !== 'object' || raw === null || !Array.isArray((raw as { events?: unknown }).events)) {
    throw new TypeError('not a history: expected an object with an array of events');
  }
  const events = (raw as ExportedHistory).events;
  if (events.length === 0) throw new TypeError('not a history: it holds no events');
  const first = events[0] as { eventId?: unknown } | null;
  if (typeof first !== 'object' || first === null || typeof first.eventId !== 'string') {
    throw new TypeError('not an exported history: its first event has no eventId string');
  }
  return raw as ExportedHistory;
}
