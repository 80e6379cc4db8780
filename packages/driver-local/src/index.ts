export { localDriverDefinition } from './definition.js';
export { createLocalFileHandler, type LocalFileHandler, type LocalFileHandlerOptions } from './file-handler.js';
export { createLocalDriver, LocalDriver } from './local-driver.js';
export { MAX_SEGMENT_BYTES, META_DIR, TEMP_PREFIX } from './local-keys.js';
export { type LocalDriverSettings, localDriverSettingsSchema } from './settings.js';
export {
  type SignedRequest,
  type SignedUrlClaims,
  type SignedUrlVerdict,
  signLocalUrl,
  type VerifyOptions,
  verifyLocalSignedUrl,
} from './signed-url.js';
