/**
 * Whether an intent's owner is a process known to be gone: one of this host
 * that no longer runs. Recovery takes such intents over at once instead of
 * waiting out their lease, and delete() settles them before deleting.
 */
import { hostname } from 'node:os';

/**
 * True when `owner` (see `instanceOwner`) was a process on this host (`thisHost`:
 * the storage's `hostId`, else the OS host name) that no longer runs.
 */
export function ownerIsDead(owner: string, thisHost: string = hostname()): boolean {
  const [host, pidText] = owner.split('/');
  const pid = Number(pidText);
  if (host !== thisHost || !Number.isSafeInteger(pid) || pid <= 0 || pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
