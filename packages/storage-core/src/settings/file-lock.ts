/**
 * A lock file, so processes sharing one settings file change it one at a
 * time. The lock is created with O_EXCL and names its owner (host, pid, a
 * random token). A lock whose owner died (same host, pid gone, e.g. after a
 * SIGKILL mid-save) is broken; any other lock is waited for, then reported.
 *
 * Breaking a lock moves it aside and checks that what moved is the dead
 * owner's lock; a live lock moved by mistake is put back. A holder checks that
 * the lock is still its own right before it commits (`assertHeld`), so a
 * lost lock fails that save instead of overwriting another process's change.
 */
import { randomBytes } from 'node:crypto';
import { link, open, readFile, rename, stat, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { ErrorCode, StorageError } from '../errors.js';

/** The lock as its holder sees it. */
export interface HeldLock {
  /** Throws PRECONDITION_FAILED when the lock is no longer this holder's. */
  assertHeld(): Promise<void>;
}

export interface FileLockOptions {
  /** How long to wait for another process's lock before giving up (UNAVAILABLE). Default 10 s. */
  readonly timeoutMs?: number;
  /** The host written into the lock, whose dead processes' locks may be broken. Default `os.hostname()`. */
  readonly hostId?: string;
}

/** A lock file whose content could not be read as an owner is abandoned after this long. */
const UNREADABLE_LOCK_MS = 10_000;

/** Runs `run` while holding the lock file at `lockPath`, then releases it. */
export async function withFileLock<T>(
  lockPath: string,
  run: (lock: HeldLock) => Promise<T>,
  options: FileLockOptions = {},
): Promise<T> {
  const host = options.hostId ?? hostname();
  const owner = JSON.stringify({ host, pid: process.pid, token: randomBytes(12).toString('hex') });
  await acquire(lockPath, owner, host, options.timeoutMs ?? 10_000);
  const lock: HeldLock = {
    async assertHeld() {
      if ((await readFile(lockPath, 'utf8').catch(() => undefined)) !== owner) {
        throw new StorageError(
          ErrorCode.PreconditionFailed,
          `lost the lock ${lockPath} to another process before saving; reload and try again`,
        );
      }
    },
  };
  try {
    return await run(lock);
  } finally {
    if ((await readFile(lockPath, 'utf8').catch(() => undefined)) === owner) await unlink(lockPath).catch(() => {});
  }
}

async function acquire(lockPath: string, owner: string, host: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const handle = await open(lockPath, 'wx', 0o600);
      try {
        await handle.writeFile(owner, 'utf8');
      } finally {
        await handle.close();
      }
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new StorageError(ErrorCode.Unavailable, `cannot create the lock file ${lockPath}`, { cause: error });
      }
    }
    const seen = await readFile(lockPath, 'utf8').catch(() => undefined);
    if (seen !== undefined && (await isAbandoned(lockPath, seen, host))) {
      await breakLock(lockPath, seen);
      continue;
    }
    if (Date.now() >= deadline) {
      throw new StorageError(
        ErrorCode.Unavailable,
        `another process is changing the settings (lock ${lockPath} held for over ${timeoutMs} ms); try again`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 10 + Math.random() * 40));
  }
}

// Abandoned: written by a process on this host that no longer runs, or unreadable for a while.
async function isAbandoned(lockPath: string, content: string, host: string): Promise<boolean> {
  let owner: { host?: unknown; pid?: unknown };
  try {
    owner = JSON.parse(content);
  } catch {
    const info = await stat(lockPath).catch(() => undefined);
    return info !== undefined && Date.now() - info.mtimeMs > UNREADABLE_LOCK_MS;
  }
  if (owner.host !== host || typeof owner.pid !== 'number' || owner.pid === process.pid) return false;
  try {
    process.kill(owner.pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

async function breakLock(lockPath: string, seen: string): Promise<void> {
  const aside = `${lockPath}.${process.pid}.${randomBytes(6).toString('hex')}.broken`;
  try {
    await rename(lockPath, aside);
  } catch {
    return; // already gone: try to take it
  }
  const moved = await readFile(aside, 'utf8').catch(() => undefined);
  // A live lock taken after we looked was moved instead: put it back, unless the name was taken again.
  if (moved !== seen) await link(aside, lockPath).catch(() => undefined);
  await unlink(aside).catch(() => undefined);
}
