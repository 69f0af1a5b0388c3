/**
 * MLLP (HL7's Minimal Lower Layer Protocol, HL7 v2 Appendix C): a message is framed as <VT> message <FS><CR>.
 * Pure: framing and a streaming deframer for bytes as they arrive on a socket.
 */
export const VT = 0x0b;
export const FS = 0x1c;
export const CR = 0x0d;

export function frameMllp(message: string): Buffer {
  return Buffer.concat([Buffer.from([VT]), Buffer.from(message, 'utf8'), Buffer.from([FS, CR])]);
}

/** Feed socket chunks; get whole messages back. Bytes before a VT are ignored (as receivers do). */
export class MllpDeframer {
  private buf = Buffer.alloc(0);

  /** Messages completed by this chunk, in order. */
  push(chunk: Buffer): string[] {
    this.buf = Buffer.concat([this.buf, chunk]);
    const out: string[] = [];
    for (;;) {
      const start = this.buf.indexOf(VT);
      if (start < 0) {
        this.buf = Buffer.alloc(0);
        return out;
      }
      const end = this.buf.indexOf(FS, start + 1);
      if (end < 0 || end + 1 >= this.buf.length) {
        this.buf = this.buf.subarray(start);
        return out;
      }
      if (this.buf[end + 1] !== CR) {
        // A stray FS inside the message: not MLLP; drop up to it.
        this.buf = this.buf.subarray(end + 1);
        continue;
      }
      out.push(this.buf.subarray(start + 1, end).toString('utf8'));
      this.buf = this.buf.subarray(end + 2);
    }
  }
}
