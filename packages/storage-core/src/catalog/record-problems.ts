/**
 * The one definition of a well-formed catalog record, shared by every Catalog
 * implementation so they refuse the same bad input with the same words. The
 * problems name fields, never their values.
 */
import { ErrorCode, StorageError } from '../errors.js';
import { keyProblem } from '../keys.js';
import {
  type ClaimRequest,
  type JobChanges,
  type KeptCopy,
  LOCAL_TARGET_ID,
  type NewResultRecord,
  RESULT_STATES,
  type RemovalClaimRequest,
  type ResultChanges,
  type ResultFile,
  type ResultIntent,
  type ResultState,
} from './types.js';

const INTENT_KINDS = new Set(['offload', 'migrate', 'delete', 'cleanup', 'recover']);

function isCount(value: unknown): boolean {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}

function stateProblem(state: unknown): string | undefined {
  return RESULT_STATES.includes(state as ResultState) ? undefined : `state: must be one of ${RESULT_STATES.join(', ')}`;
}

function fileProblems(files: unknown, path: unknown): string[] {
  if (!Array.isArray(files) || files.length === 0) return ['files: must list at least the original'];
  const problems: string[] = [];
  const names = new Set<string>();
  files.forEach((file: Partial<ResultFile>, index) => {
    const at = `files[${index}]`;
    if (typeof file !== 'object' || file === null) {
      problems.push(`${at}: must be an object`);
      return;
    }
    if (typeof file.name !== 'string') problems.push(`${at}.name: must be a string`);
    else if (names.has(file.name)) problems.push(`${at}.name: appears twice`);
    else names.add(file.name);
    if (keyProblem(file.path)) problems.push(`${at}.path: must be a valid relative path`);
    if (keyProblem(file.key)) problems.push(`${at}.key: must be a valid key`);
    if (!isCount(file.size)) problems.push(`${at}.size: must be a whole number of bytes`);
    if (file.sha256 !== undefined && !/^[0-9a-f]{64}$/.test(String(file.sha256))) {
      problems.push(`${at}.sha256: must be 64 lower-case hex digits`);
    }
  });
  const original = files[0] as Partial<ResultFile> | undefined;
  if (original && original.name !== '') problems.push('files[0]: must be the original (name "")');
  if (original && typeof path === 'string' && original.path !== path) {
    problems.push('files[0].path: must equal the record path');
  }
  return problems;
}

function keptCopyProblems(kept: unknown, targetId: unknown): string[] {
  if (kept === undefined) return [];
  if (!Array.isArray(kept)) return ['keptCopies: must be an array'];
  const problems: string[] = [];
  const targets = new Set<string>();
  kept.forEach((copy: Partial<KeptCopy>, index) => {
    const at = `keptCopies[${index}]`;
    if (typeof copy !== 'object' || copy === null) {
      problems.push(`${at}: must be an object`);
      return;
    }
    if (typeof copy.targetId !== 'string' || copy.targetId.length === 0) problems.push(`${at}.targetId: required`);
    else if (copy.targetId === LOCAL_TARGET_ID) {
      problems.push(`${at}.targetId: the results disk is not a kept copy (localCopy says it holds the files)`);
    } else if (copy.targetId === targetId) problems.push(`${at}.targetId: must not be the record's own target`);
    else if (targets.has(copy.targetId)) problems.push(`${at}.targetId: appears twice`);
    else targets.add(copy.targetId);
    if (!Array.isArray(copy.keys) || copy.keys.length === 0) problems.push(`${at}.keys: must list at least one key`);
    else if (copy.keys.some((key) => keyProblem(key) !== undefined)) problems.push(`${at}.keys: must be valid keys`);
  });
  return problems;
}

function intentProblems(intent: unknown): string[] {
  if (intent === undefined || intent === null) return [];
  const value = intent as Partial<ResultIntent>;
  const problems: string[] = [];
  if (!INTENT_KINDS.has(value.kind as string))
    problems.push('intent.kind: must be offload, migrate, delete, cleanup or recover');
  if (typeof value.attemptId !== 'string' || value.attemptId.length === 0) problems.push('intent.attemptId: required');
  if (typeof value.owner !== 'string' || value.owner.length === 0) problems.push('intent.owner: required');
  if (!isCount(value.startedAt)) problems.push('intent.startedAt: must be a time in epoch milliseconds');
  if (!isCount(value.leaseUntil)) problems.push('intent.leaseUntil: must be a time in epoch milliseconds');
  return problems;
}

/** Every reason `record` cannot be inserted; empty when it can. */
export function newRecordProblems(record: NewResultRecord): string[] {
  if (typeof record !== 'object' || record === null) return ['record: must be an object'];
  const problems: string[] = [];
  if (keyProblem(record.path)) problems.push('path: must be a valid relative path');
  const state = stateProblem(record.state);
  if (state) problems.push(state);
  if (typeof record.targetId !== 'string' || record.targetId.length === 0) problems.push('targetId: required');
  if (keyProblem(record.key)) problems.push('key: must be a valid key');
  if (typeof record.location !== 'string' || record.location.length === 0) problems.push('location: required');
  if (typeof record.localCopy !== 'boolean') problems.push('localCopy: must be true or false');
  problems.push(...fileProblems(record.files, record.path));
  if (record.files?.[0] && record.files[0].key !== record.key) problems.push('files[0].key: must equal the record key');
  if (record.attempts !== undefined && !isCount(record.attempts)) problems.push('attempts: must be a whole number');
  problems.push(...keptCopyProblems(record.keptCopies, record.targetId));
  problems.push(...intentProblems(record.intent));
  return problems;
}

/** Every reason `changes` cannot be applied; empty when they can. */
export function changeProblems(changes: ResultChanges): string[] {
  if (typeof changes !== 'object' || changes === null) return ['changes: must be an object'];
  const problems: string[] = [];
  if (changes.state !== undefined) {
    const state = stateProblem(changes.state);
    if (state) problems.push(state);
  }
  if (changes.targetId !== undefined && (typeof changes.targetId !== 'string' || changes.targetId.length === 0)) {
    problems.push('targetId: must be a non-empty string');
  }
  if (changes.files !== undefined) problems.push(...fileProblems(changes.files, undefined));
  if (changes.attempts !== undefined && !isCount(changes.attempts)) problems.push('attempts: must be a whole number');
  problems.push(...keptCopyProblems(changes.keptCopies, changes.targetId));
  problems.push(...intentProblems(changes.intent));
  return problems;
}

/** Every reason `request` cannot be served; empty when it can. */
export function claimProblems(request: ClaimRequest): string[] {
  if (typeof request !== 'object' || request === null) return ['claim: must be an object'];
  const problems: string[] = [];
  const select = request.select as Record<string, unknown> | undefined;
  const selectors = ['due', 'migrationId', 'expired'].filter((name) => select?.[name] !== undefined);
  if (selectors.length !== 1) problems.push('select: must be exactly one of { due }, { migrationId }, { expired }');
  if (!INTENT_KINDS.has(request.kind)) problems.push('kind: must be offload, migrate, delete, cleanup or recover');
  if (typeof request.owner !== 'string' || request.owner.length === 0) problems.push('owner: required');
  if (!(Number.isSafeInteger(request.leaseMs) && request.leaseMs > 0)) problems.push('leaseMs: must be positive');
  if (!(Number.isSafeInteger(request.limit) && request.limit > 0)) problems.push('limit: must be positive');
  return problems;
}

/** Every problem with a removal claim, without echoing it. */
export function removalClaimProblems(request: RemovalClaimRequest): string[] {
  if (typeof request !== 'object' || request === null) return ['removal claim: must be an object'];
  const problems: string[] = [];
  if (typeof request.targetId !== 'string' || request.targetId.length === 0) problems.push('targetId: required');
  if (!Array.isArray(request.keys) || request.keys.length === 0) problems.push('keys: must be a non-empty array');
  else if (request.keys.some((key) => typeof key !== 'string' || key.length === 0))
    problems.push('keys: every key must be a non-empty string');
  if (!(Number.isSafeInteger(request.leaseMs) && request.leaseMs > 0)) problems.push('leaseMs: must be positive');
  return problems;
}

const JOB_KINDS = new Set(['migrate', 'reconcile']);
const JOB_STATES = new Set(['queued', 'running', 'done', 'failed', 'cancelled']);

function isJsonObject(value: unknown): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  try {
    JSON.stringify(value);
    return true;
  } catch {
    return false;
  }
}

/** Every reason a new job cannot be created; empty when it can. */
export function newJobProblems(job: { kind: unknown; params: unknown }): string[] {
  if (typeof job !== 'object' || job === null) return ['job: must be an object'];
  const problems: string[] = [];
  if (!JOB_KINDS.has(job.kind as string)) problems.push('kind: must be migrate or reconcile');
  if (!isJsonObject(job.params)) problems.push('params: must be a JSON object');
  return problems;
}

/** Every reason job `changes` cannot be applied; empty when they can. */
export function jobChangeProblems(changes: JobChanges): string[] {
  if (typeof changes !== 'object' || changes === null) return ['changes: must be an object'];
  const problems: string[] = [];
  if (changes.state !== undefined && !JOB_STATES.has(changes.state)) {
    problems.push('state: must be queued, running, done, failed or cancelled');
  }
  if (changes.progress !== undefined && !isJsonObject(changes.progress))
    problems.push('progress: must be a JSON object');
  return problems;
}

/** Throws one INVALID_INPUT naming every problem, when there are any. */
export function refuseProblems(subject: string, problems: readonly string[]): void {
  if (problems.length > 0) throw new StorageError(ErrorCode.InvalidInput, `${subject}: ${problems.join('; ')}`);
}

/** The page size of a listing: `pageSize`, or 500 when not given; INVALID_INPUT outside 1 to 10,000. */
export function listingPageSize(pageSize: number | undefined): number {
  if (pageSize === undefined) return 500;
  if (!(Number.isSafeInteger(pageSize) && pageSize >= 1 && pageSize <= 10_000)) {
    throw new StorageError(ErrorCode.InvalidInput, 'catalog listing: pageSize must be a whole number from 1 to 10,000');
  }
  return pageSize;
}
