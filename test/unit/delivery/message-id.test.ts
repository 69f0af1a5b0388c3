import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { deliveryMessageId, stableUuid } from '../../../src/delivery';

describe('delivery message ids', { timeout: 10_000 }, () => {
  it('are stable, 20 hex characters, and differ by study, completion and sink', () => {
    const a = deliveryMessageId('1.2.3', 1, 'hl7');
    assert.equal(a, deliveryMessageId('1.2.3', 1, 'hl7'));
    assert.match(a, /^[0-9a-f]{20}$/);
    const others = [
      deliveryMessageId('1.2.4', 1, 'hl7'),
      deliveryMessageId('1.2.3', 2, 'hl7'),
      deliveryMessageId('1.2.3', 1, 'fhir'),
    ];
    assert.equal(new Set([a, ...others]).size, 4);
    assert.throws(() => deliveryMessageId('1.2.3', 0, 'hl7'), /completion/);
  });

  it('stableUuid gives a version-5-shaped UUID, the same for the same name', () => {
    const u = stableUuid('x');
    assert.match(u, /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(u, stableUuid('x'));
    assert.notEqual(u, stableUuid('y'));
  });
});
