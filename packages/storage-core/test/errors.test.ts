import { describe, expect, it } from 'vitest';
import {
  abortedError,
  ConfigError,
  ErrorCode,
  InvalidKeyError,
  isStorageError,
  NotFoundError,
  StorageError,
} from '../src/index.js';

describe('StorageError', () => {
  it('carries code, key, status, details and the original cause', () => {
    const cause = new Error('provider said no');
    const error = new StorageError(ErrorCode.AccessDenied, 'denied', {
      cause,
      key: 'a.png',
      status: 403,
      details: { bucket: 'b' },
    });
    expect(error).toMatchObject({ name: 'StorageError', code: 'ACCESS_DENIED', key: 'a.png', status: 403 });
    expect(error.details).toEqual({ bucket: 'b' });
    expect(error.cause).toBe(cause);
    expect(error).toBeInstanceOf(Error);
  });

  it('is retryable only for UNAVAILABLE and TIMEOUT', () => {
    const retryable = Object.values(ErrorCode).filter((code) => new StorageError(code, 'x').retryable);
    expect(retryable.sort()).toEqual([ErrorCode.Timeout, ErrorCode.Unavailable].sort());
  });

  it('has subclasses with fixed codes and names', () => {
    expect(new NotFoundError('x')).toMatchObject({ code: ErrorCode.NotFound, name: 'NotFoundError' });
    expect(new InvalidKeyError('x')).toMatchObject({ code: ErrorCode.InvalidKey, name: 'InvalidKeyError' });
  });

  it('ConfigError lists every problem in its message and problems', () => {
    const error = new ConfigError('s3 settings', ['bucket: required', 'region: invalid']);
    expect(error.code).toBe(ErrorCode.Misconfigured);
    expect(error.message).toBe('s3 settings: bucket: required; region: invalid');
    expect(error.problems).toEqual(['bucket: required', 'region: invalid']);
  });

  it('isStorageError checks the class and, optionally, the code', () => {
    const error = new NotFoundError('gone');
    expect(isStorageError(error)).toBe(true);
    expect(isStorageError(error, ErrorCode.NotFound)).toBe(true);
    expect(isStorageError(error, ErrorCode.AccessDenied)).toBe(false);
    expect(isStorageError(new Error('plain'))).toBe(false);
  });

  it('abortedError keeps the signal reason as cause and names the key', () => {
    const controller = new AbortController();
    controller.abort(new Error('user cancelled'));
    const error = abortedError(controller.signal, 'big.mp4');
    expect(error).toMatchObject({
      code: ErrorCode.Aborted,
      key: 'big.mp4',
      message: 'operation aborted for key "big.mp4"',
    });
    expect((error.cause as Error).message).toBe('user cancelled');
  });
});
