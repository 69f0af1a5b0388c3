// jpeg-lossless-decoder-js 2.1.2 names a declaration file it does not ship: the surface we use.
declare module 'jpeg-lossless-decoder-js' {
  export class Decoder {
    xDim: number;
    yDim: number;
    numComp: number;
    precision: number | undefined;
    stream: { buffer: Uint8Array; index: number } | null;
    decode(buffer: ArrayBuffer, offset: number, length: number, numBytes: number): Uint8Array | Uint16Array;
  }
}
