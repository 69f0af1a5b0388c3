/**
 * Synthetic chest-radiograph-shaped DICOM instances for tests and benchmarks: real Part-10 files
 * (dcmjs-written, explicit VR little endian) with unique UIDs and a smooth, deterministic image.
 * Patient data is fake ("SYNTHETIC^TEST").
 */
import crypto from 'node:crypto';
import dcmjs from 'dcmjs';

dcmjs.log.setLevel('error');

export interface SyntheticOptions {
  /** Distinguishes instances; same seed + index -> same UIDs and pixels. */
  seed: string;
  index: number;
  rows?: number;
  columns?: number;
  bitsStored?: 8 | 12 | 16;
  modality?: string;
  bodyPart?: string;
  photometric?: 'MONOCHROME1' | 'MONOCHROME2';
  /** Instances sharing a study key share a StudyInstanceUID. */
  studyKey?: string;
  /** Leave out Pixel Data (a header-only instance). */
  noPixelData?: boolean;
}

export function uidFrom(text: string): string {
  const hex = crypto.createHash('sha256').update(text).digest('hex').slice(0, 32);
  return `2.25.${BigInt('0x' + hex).toString()}`;
}

export function syntheticCr(o: SyntheticOptions): Buffer {
  const rows = o.rows ?? 64;
  const cols = o.columns ?? 64;
  const bits = o.bitsStored ?? 12;
  const bytesPer = bits === 8 ? 1 : 2;
  const pixels = bytesPer === 1 ? new Uint8Array(rows * cols) : new Uint16Array(rows * cols);
  const max = (1 << bits) - 1;
  const phase = (o.index % 17) / 17;
  for (let y = 0; y < rows; y++) {
    for (let x = 0; x < cols; x++) {
      // Two bright "lungs" on a darker mediastinum, varied per index so scores differ.
      const u = x / cols,
        v = y / rows;
      const lung =
        Math.exp(-((u - 0.3) ** 2 / 0.02 + (v - 0.5) ** 2 / 0.08)) +
        Math.exp(-((u - 0.7) ** 2 / 0.02 + (v - 0.5) ** 2 / 0.08));
      const val = 0.2 + 0.6 * lung + 0.2 * Math.sin(6.28 * (u + phase)) * v;
      pixels[y * cols + x] = Math.max(0, Math.min(max, Math.round(val * max)));
    }
  }
  const studyUid = uidFrom(`${o.seed}/study/${o.studyKey ?? o.index}`);
  const seriesUid = uidFrom(`${o.seed}/series/${o.studyKey ?? o.index}`);
  const sopUid = uidFrom(`${o.seed}/sop/${o.index}`);
  const dataset = {
    _meta: {
      FileMetaInformationVersion: new Uint8Array([0, 1]).buffer,
      MediaStorageSOPClassUID: '1.2.840.10008.5.1.4.1.1.1.1',
      MediaStorageSOPInstanceUID: sopUid,
      TransferSyntaxUID: '1.2.840.10008.1.2.1',
      ImplementationClassUID: '2.25.80302813137786398554742050926734630921',
    },
    SOPClassUID: '1.2.840.10008.5.1.4.1.1.1.1',
    SOPInstanceUID: sopUid,
    StudyDate: '20260101',
    StudyTime: '120000',
    AccessionNumber: `SYN${o.index}`,
    Modality: o.modality ?? 'DX',
    Manufacturer: 'cxr-pipeline synthetic',
    ReferringPhysicianName: '',
    StudyDescription: 'SYNTHETIC CHEST',
    SeriesDescription: 'PA',
    PatientName: 'SYNTHETIC^TEST',
    PatientID: `SYN-${o.seed}-${o.studyKey ?? o.index}`,
    PatientBirthDate: '19700101',
    PatientSex: 'O',
    BodyPartExamined: o.bodyPart ?? 'CHEST',
    ViewPosition: 'PA',
    StudyInstanceUID: studyUid,
    SeriesInstanceUID: seriesUid,
    StudyID: '1',
    SeriesNumber: '1',
    InstanceNumber: String(o.index + 1),
    PatientOrientation: ['L', 'F'],
    ImageType: ['ORIGINAL', 'PRIMARY'],
    PresentationIntentType: 'FOR PRESENTATION',
    SamplesPerPixel: 1,
    PhotometricInterpretation: o.photometric ?? 'MONOCHROME2',
    Rows: rows,
    Columns: cols,
    BitsAllocated: bytesPer * 8,
    BitsStored: bits,
    HighBit: bits - 1,
    PixelRepresentation: 0,
    WindowCenter: String(Math.round(max / 2)),
    WindowWidth: String(max),
    RescaleIntercept: '0',
    RescaleSlope: '1',
    RescaleType: 'US',
    PixelIntensityRelationship: 'LOG',
    PixelIntensityRelationshipSign: 1,
    ImagerPixelSpacing: ['0.2', '0.2'],
    BurnedInAnnotation: 'NO',
    LossyImageCompression: '00',
    PixelData: [pixels.buffer],
  };
  const { _meta, ...full } = dataset;
  const body: Record<string, unknown> = { ...full };
  if (o.noPixelData) delete body.PixelData;
  // Pixel Data's VR depends on Bits Allocated: say which, so dcmjs need not guess (and warn).
  else body._vrMap = { PixelData: bytesPer === 1 ? 'OB' : 'OW' };
  const dict = new dcmjs.data.DicomDict(dcmjs.data.DicomMetaDictionary.denaturalizeDataset(_meta));
  dict.dict = dcmjs.data.DicomMetaDictionary.denaturalizeDataset(body);
  // dcmjs picks OB for 8-bit pixel data only when told.
  return Buffer.from(dict.write());
}
