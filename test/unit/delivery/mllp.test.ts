import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { frameMllp, MllpDeframer } from '../../../src/delivery';

describe('MLLP framing', { timeout: 10_000 }, () => {
  it('frames as <VT> message <FS><CR>', () => {
    assert.deepEqual([...frameMllp('AB')], [0x0b, 0x41, 0x42, 0x1c, 0x0d]);
  });

  it('deframes messages split across chunks, several per chunk, ignoring bytes before a VT', () => {
    const d = new MllpDeframer();
    const two = Buffer.concat([Buffer.from('noise'), frameMllp('MSH|1\r'), frameMllp('MSH|2\r')]);
    assert.deepEqual(d.push(two.subarray(0, 9)), []);
    assert.deepEqual(d.push(two.subarray(9, 14)), ['MSH|1\r']);
    assert.deepEqual(d.push(two.subarray(14, two.length - 1)), []);
    assert.deepEqual(d.push(two.subarray(two.length - 1)), ['MSH|2\r']);
  });

  it('a message that is not terminated stays pending', () => {
    const d = new MllpDeframer();
    assert.deepEqual(d.push(Buffer.from([0x0b, 0x41, 0x1c])), []);
    assert.deepEqual(d.push(Buffer.from([0x0d])), ['A']);
  });
});
