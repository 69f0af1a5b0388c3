export {
  AesGcmPayloadCodec,
  ENCRYPTED_ENCODING,
  KEY_ID_METADATA,
  payloadCodecFromEnv,
  payloadKey,
  PayloadKeyError,
} from './encryption';
export type { PayloadKey } from './encryption';
export { createCodecServer } from './server';
