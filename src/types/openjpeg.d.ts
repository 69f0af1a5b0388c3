// @cornerstonejs/codec-openjpeg ships no TypeScript declarations: the Emscripten module surface we use.
declare module '@cornerstonejs/codec-openjpeg/decodewasmjs' {
  export interface J2KFrameInfo {
    width: number;
    height: number;
    bitsPerSample: number;
    componentCount: number;
    isSigned: boolean;
  }
  export interface J2KDecoder {
    getEncodedBuffer(length: number): Uint8Array;
    decode(): void;
    getFrameInfo(): J2KFrameInfo;
    getDecodedBuffer(): Uint8Array;
    delete(): void;
  }
  export interface OpenJpegModule {
    J2KDecoder: new () => J2KDecoder;
  }
  const factory: (options?: { print?: (s: string) => void; printErr?: (s: string) => void }) => Promise<OpenJpegModule>;
  export default factory;
}
