/**
 * What a route answers, before the handler adds the security headers and
 * scrubs secrets: a status, a kind of body and the body as text. Refusals are
 * JSON `{ error, problems }` for the API and a plain page for the HTML routes.
 */

import { type Html, html } from './html.js';
import type { HttpProblem } from './http-problem.js';
import { plainPage } from './page/layout.js';

/** A response in the making. */
export interface Reply {
  readonly status: number;
  readonly type: 'json' | 'html';
  readonly body: string;
  /** Extra headers, e.g. Allow on a 405. */
  readonly headers?: Readonly<Record<string, string>>;
}

/** A JSON answer. */
export function jsonReply(status: number, value: unknown, headers?: Record<string, string>): Reply {
  return { status, type: 'json', body: JSON.stringify(value), headers };
}

/** An HTML answer. */
export function htmlReply(status: number, markup: Html, headers?: Record<string, string>): Reply {
  return { status, type: 'html', body: `<!doctype html>\n${markup}`, headers };
}

const TITLES: Readonly<Record<number, string>> = {
  400: 'Bad request',
  401: 'Sign in required',
  403: 'Refused',
  404: 'Not found',
  405: 'Method not allowed',
  409: 'Cannot do that now',
  413: 'Request too large',
  415: 'Unsupported content type',
  500: 'Something went wrong',
};

/** The short title of a status, e.g. "Sign in required" for 401. */
function statusTitle(status: number): string {
  return TITLES[status] ?? 'Error';
}

/** A refusal, as JSON (`api`) or as a plain page. */
export function problemReply(problem: HttpProblem, api: boolean, nonce: string): Reply {
  const title = problem.subject ?? statusTitle(problem.status);
  const headers = { ...problem.headers };
  if (api) return jsonReply(problem.status, { error: title, problems: problem.problems }, headers);
  const body = html`<ul>
    ${problem.problems.map((text) => html`<li>${text}</li>`)}
  </ul>`;
  return htmlReply(problem.status, plainPage(statusTitle(problem.status), body, nonce), headers);
}
