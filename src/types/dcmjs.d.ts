// dcmjs ships no TypeScript declarations. We declare the small surface we use,
// typed as precisely as the library's documented behaviour allows.
declare module 'dcmjs' {
  /** A naturalized dataset: keyword -> value (strings, numbers, nested arrays of datasets, ArrayBuffers). */
  export type NaturalDataset = { [keyword: string]: unknown };
  /** A denaturalized dataset: 'GGGGEEEE' -> { vr, Value }. */
  export type DenaturalizedDataset = { [tag: string]: { vr: string; Value?: unknown[]; InlineBinary?: string } };

  export namespace data {
    class DicomDict {
      constructor(meta: DenaturalizedDataset);
      meta: DenaturalizedDataset;
      dict: DenaturalizedDataset;
      write(options?: { allowInvalidVRLength?: boolean; fragmentMultiframe?: boolean }): ArrayBuffer;
    }
    class DicomMessage {
      static readFile(
        buffer: ArrayBuffer,
        options?: { ignoreErrors?: boolean; untilTag?: string; includeUntilTagValue?: boolean; noCopy?: boolean },
      ): DicomDict;
    }
    class DicomMetaDictionary {
      static naturalizeDataset(dataset: DenaturalizedDataset): NaturalDataset;
      static denaturalizeDataset(dataset: NaturalDataset): DenaturalizedDataset;
      static uid(): string;
      static date(): string;
      static time(): string;
      static dictionary: Record<string, { tag: string; vr: string; name: string; vm: string; version: string }>;
      static nameMap: Record<string, { tag: string; vr: string; name: string; vm: string; version: string }>;
    }
  }
  export namespace log {
    function setLevel(level: string): void;
  }
  const dcmjs: { data: typeof data; log: typeof log };
  export default dcmjs;
}
