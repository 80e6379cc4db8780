/**
 * Locates the external programs the test helpers run (minio, mc, toxiproxy-server):
 * an explicit path first, then an environment variable, then PATH. A missing
 * program is a setup problem, so the error says exactly how to get it.
 */
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { ErrorCode, StorageError } from '@stowage/storage-core';

/** How to find one program and what to tell the user when it is missing. */
export interface BinarySpec {
  /** Human name for messages, e.g. "MinIO server". */
  readonly label: string;
  /** Explicit path from the caller's options; wins over everything else. */
  readonly explicit?: string | undefined;
  /** Environment variable holding a path, e.g. STOWAGE_MINIO_BIN. */
  readonly envVar: string;
  /** File names to look for on PATH, in order. */
  readonly names: readonly string[];
  /** Go module to `go install` it from. */
  readonly goModule: string;
}

function isExecutableFile(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function installHint(spec: BinarySpec): string {
  return (
    `Pass its path as the "binary" option, set ${spec.envVar}, or put ${spec.names.map((n) => `"${n}"`).join(' or ')} on PATH. ` +
    `Build it with Go >= 1.24: go install ${spec.goModule} (scripts/lib/test-servers.sh does this for the Stowage repository).`
  );
}

/** Returns the absolute path of an executable, or throws MISCONFIGURED saying how to install it. */
export function findBinary(spec: BinarySpec, env: NodeJS.ProcessEnv = process.env): string {
  const configured = spec.explicit ?? env[spec.envVar];
  if (configured !== undefined && configured !== '') {
    if (isExecutableFile(configured)) return configured;
    const from = spec.explicit !== undefined ? 'the "binary" option' : spec.envVar;
    throw new StorageError(
      ErrorCode.Misconfigured,
      `${spec.label} binary from ${from} is not an executable file: ${configured}. ${installHint(spec)}`,
    );
  }
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    for (const name of spec.names) {
      const candidate = join(dir, name);
      if (isExecutableFile(candidate)) return candidate;
    }
  }
  throw new StorageError(ErrorCode.Misconfigured, `${spec.label} binary not found. ${installHint(spec)}`);
}
