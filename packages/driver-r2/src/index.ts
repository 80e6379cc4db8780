export {
  applyR2Cors,
  buildR2CorsConfiguration,
  corsOriginProblem,
  type R2CorsMethod,
  type R2CorsOptions,
} from './cors.js';
export { r2DriverDefinition } from './definition.js';
export {
  type ParsedR2Endpoint,
  parseR2Endpoint,
  R2_JURISDICTIONS,
  type R2Jurisdiction,
  r2AccountEndpoint,
} from './endpoint.js';
export { R2_SETTINGS_FIELDS } from './fields.js';
export { createR2Driver, type R2DriverOptions } from './r2-driver.js';
export {
  R2_PLACEMENT_FIELDS,
  R2_SECRET_FIELDS,
  type R2Settings,
  type R2SettingsInput,
  r2SettingsSchema,
} from './settings.js';
export { r2ToS3Settings } from './to-s3-settings.js';
