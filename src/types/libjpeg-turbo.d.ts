// @cornerstonejs/codec-libjpeg-turbo-8bit ships no TypeScript declarations: the Emscripten module surface we use.
declare module '@cornerstonejs/codec-libjpeg-turbo-8bit/decodewasmjs' {
  export interface JpegFrameInfo {
    width: number;
    height: number;
    bitsPerSample: number;
    componentCount: number;
    isSigned: boolean;
  }
  export interface JPEGDecoder {
    getEncodedBuffer(length: number): Uint8Array;
    decode(): void;
    getFrameInfo(): JpegFrameInfo;
    getDecodedBuffer(): Uint8Array;
    delete(): void;
  }
  export interface JpegTurboModule {
    JPEGDecoder: new () => JPEGDecoder;
  }
  const factory: (options?: {
    print?: (s: string) => void;
    printErr?: (s: string) => void;
  }) => Promise<JpegTurboModule>;
  export default factory;
}
