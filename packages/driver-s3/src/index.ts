export { createS3Client, maxSocketsFor, type S3ClientOptions, SOCKET_HEADROOM } from './client.js';
export { resolveS3Config, type S3DriverConfig } from './config.js';
export {
  b2DriverDefinition,
  gcsDriverDefinition,
  minioDriverDefinition,
  s3DriverDefinition,
  s3DriverDefinitions,
  spacesDriverDefinition,
  wasabiDriverDefinition,
} from './definitions.js';
export { classifyS3Error, type ErrorContext, outcomeUnknown, toStorageError } from './errors.js';
export { KEY_PREFIX_FIELD, PART_SIZE_FIELD, s3SettingsFields } from './fields.js';
export {
  ABORT_INCOMPLETE_UPLOADS_RULE_ID,
  type AbortIncompleteUploadsRuleOptions,
  abortIncompleteUploadsRule,
  applyAbortIncompleteUploadsRule,
  type LifecycleTarget,
} from './lifecycle.js';
export { notS3Answer } from './not-s3.js';
export { type ChecksumMode, S3_PRESETS, S3_PROVIDERS, type S3Preset, type S3Provider } from './presets.js';
export { createS3Driver, S3Driver, type S3DriverOptions } from './s3-driver.js';
export {
  CANNED_ACLS,
  DEFAULT_PART_SIZE,
  httpUrlProblem,
  MIN_PART_SIZE,
  S3_PLACEMENT_FIELDS,
  S3_SECRET_FIELDS,
  type S3Settings,
  type S3SettingsInput,
  s3SettingsSchema,
} from './settings.js';
