export {
  type CatalogLocation,
  type ConfigFile,
  configFileSchema,
  configProblems,
  DEFAULT_CONFIG_FILE,
  loadConfig,
  type ResolvedConfig,
} from './config.js';
export type { CliIo } from './context.js';
export { CliError, ExitCode, type ExitCodeValue } from './exit-codes.js';
export { runCli } from './program.js';
