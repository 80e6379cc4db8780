/**
 * Telling an S3 API from any other HTTP server. A website, dashboard or CDN
 * URL given as the endpoint answers too: with an HTML page, a bare 404, or a
 * 200 to everything, which the SDK would take for a stored object (a PutObject
 * answer has no body to parse). Every answer passes through this check first;
 * one that S3 would never give becomes NOT_S3_API (errors.ts).
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { NOT_S3_ANSWER } from './errors.js';

interface RawResponse {
  readonly statusCode: number;
  readonly headers: Readonly<Record<string, string | undefined>>;
}

/** Operations whose successful answer carries the object's own Content-Type (which may well be HTML). */
const OBJECT_ANSWERS = new Set(['GetObjectCommand', 'HeadObjectCommand']);
/** Operations S3 always answers with an ETag header. */
const ETAG_ANSWERS = new Set(['PutObjectCommand', 'UploadPartCommand']);

function header(response: RawResponse, name: string): string | undefined {
  for (const [key, value] of Object.entries(response.headers)) if (key.toLowerCase() === name) return value;
  return undefined;
}

/** Why `response` cannot be S3's answer to `command`, or undefined when it can be. */
export function notS3Answer(command: string, response: RawResponse): string | undefined {
  const status = response.statusCode;
  const type = header(response, 'content-type') ?? '';
  const operation = command.replace(/Command$/, '');
  const success = status >= 200 && status < 300;
  // 5xx pages come from proxies and load balancers in front of real S3 too: those stay UNAVAILABLE.
  if (status >= 500) return undefined;
  if (/\bhtml\b/i.test(type) && !(success && OBJECT_ANSWERS.has(command))) {
    return `it answered ${operation} with HTTP ${status} and an HTML page (${type}), not S3's XML`;
  }
  if (success && ETAG_ANSWERS.has(command) && !header(response, 'etag')) {
    return `it answered ${operation} with HTTP ${status} but no ETag, which every S3 upload answer carries; nothing was stored on an S3 API`;
  }
  if (!success && command !== 'HeadObjectCommand' && type !== '' && !/xml/i.test(type)) {
    return `it answered ${operation} with HTTP ${status} and ${type}, not S3's XML error`;
  }
  if (success && command === 'ListObjectsV2Command' && !/xml/i.test(type)) {
    return `it answered ${operation} with HTTP ${status} and ${type || 'no content type'}, not S3's XML listing`;
  }
  return undefined;
}

/** The error for an answer that is not S3's (NOT_S3_API in errors.ts). */
export function notS3Error(problem: string, status: number): Error {
  return Object.assign(new Error(`this endpoint is not an S3 API: ${problem}`), {
    name: NOT_S3_ANSWER,
    $metadata: { httpStatusCode: status },
  });
}

/** Adds the check to `client`, around the SDK's own response parsing. */
export function rejectNonS3Answers(client: S3Client): void {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const command = (context as { commandName?: string }).commandName ?? '';
      let result: Awaited<ReturnType<typeof next>>;
      try {
        result = await next(args);
      } catch (error) {
        const response = (error as { $response?: RawResponse }).$response;
        const problem = response?.statusCode ? notS3Answer(command, response) : undefined;
        if (problem) throw Object.assign(notS3Error(problem, response?.statusCode ?? 0), { cause: error });
        throw error;
      }
      const response = result.response as RawResponse | undefined;
      const problem = response?.statusCode ? notS3Answer(command, response) : undefined;
      if (problem) throw notS3Error(problem, response?.statusCode ?? 0);
      return result;
    },
    { step: 'deserialize', priority: 'high', name: 'stowageRejectNonS3Answers' },
  );
}
