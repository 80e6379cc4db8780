/**
 * The JSON API under `<basePath>/api`: providers (redacted views plus their
 * settings fields), save, test connection (save, then probe), enable,
 * disable, the default, stats, and a CSRF token for scripts.
 */
import { LOCAL_BACKEND } from '@stowage/storage-core';
import { z } from 'zod';
import { activeBackend, saveSettings, setDefault, setEnabled, statsOf, testConnection } from './actions.js';
import { HttpProblem } from './http-problem.js';
import { findProvider, listProviders, providerJson } from './providers.js';
import { jsonReply } from './reply.js';
import type { ParsedBody } from './request-body.js';
import type { Route, RouteContext } from './routes.js';

/** The JSON object a request had to carry. */
function jsonBody(body: ParsedBody, what: string): Readonly<Record<string, unknown>> {
  if (body.kind === 'json') return body.value;
  if (body.kind === 'form') throw new HttpProblem(415, ['send application/json']);
  throw new HttpProblem(400, [`send ${what} as a JSON object`]);
}

/** The optional JSON object of a request (no body is fine). */
function optionalJsonBody(body: ParsedBody): Readonly<Record<string, unknown>> | undefined {
  return body.kind === 'none' ? undefined : jsonBody(body, 'the settings');
}

const DEFAULT_BODY = z.strictObject({
  name: z.string({ error: 'required, the name of a provider' }).min(1, { error: 'required, the name of a provider' }),
});

function problemsOf(error: z.ZodError): string[] {
  // Zod's messages name the field and never repeat the value.
  return error.issues.map((issue) => {
    const path = issue.path.map(String).join('.');
    if (issue.code === 'unrecognized_keys') return `${issue.keys.join(', ')}: unknown field`;
    return path ? `${path}: ${issue.message}` : issue.message;
  });
}

function provider(context: RouteContext) {
  return findProvider(context.options.storage, context.options.definitions, context.params.name ?? '');
}

function overview(context: RouteContext) {
  const { options } = context;
  return {
    defaultBackend: options.storage.registry.defaultBackend,
    active: activeBackend(options),
  };
}

/** The API's routes. */
export const API_ROUTES: readonly Route[] = [
  {
    method: 'GET',
    path: '/api/providers',
    api: true,
    async handle(context) {
      const { options } = context;
      return jsonReply(200, {
        ...overview(context),
        providers: listProviders(options.storage, options.definitions).map(providerJson),
      });
    },
  },
  {
    method: 'GET',
    path: '/api/providers/:name',
    api: true,
    async handle(context) {
      return jsonReply(200, { provider: providerJson(provider(context)) });
    },
  },
  {
    method: 'PUT',
    path: '/api/providers/:name',
    api: true,
    async handle(context) {
      const found = provider(context);
      await saveSettings(context.options, found.view.name, jsonBody(context.body, 'the settings'));
      return jsonReply(200, { provider: providerJson(provider(context)) });
    },
  },
  {
    method: 'POST',
    path: '/api/providers/:name/test',
    api: true,
    async handle(context) {
      const found = provider(context);
      const input = optionalJsonBody(context.body);
      if (input !== undefined && found.view.name === LOCAL_BACKEND) {
        throw new HttpProblem(400, ['local disk is configured by the app; test it without a body']);
      }
      if (input !== undefined) await saveSettings(context.options, found.view.name, input);
      const report = await testConnection(context.options, found.view.name);
      return jsonReply(200, { provider: providerJson(provider(context)), report });
    },
  },
  ...(['enable', 'disable'] as const).map(
    (action): Route => ({
      method: 'POST',
      path: `/api/providers/:name/${action}`,
      api: true,
      async handle(context) {
        const found = provider(context);
        await setEnabled(context.options, found.view.name, action === 'enable');
        return jsonReply(200, { provider: providerJson(provider(context)) });
      },
    }),
  ),
  {
    method: 'POST',
    path: '/api/default',
    api: true,
    async handle(context) {
      const parsed = DEFAULT_BODY.safeParse(jsonBody(context.body, '{ "name": "<provider>" }'));
      if (!parsed.success) throw new HttpProblem(400, problemsOf(parsed.error));
      const found = findProvider(context.options.storage, context.options.definitions, parsed.data.name);
      await setDefault(context.options, found.view.name);
      return jsonReply(200, overview(context));
    },
  },
  {
    method: 'GET',
    path: '/api/stats',
    api: true,
    async handle(context) {
      const stats = await statsOf(context.options);
      return jsonReply(200, stats.counts ? { stats: stats.counts } : { stats: null, message: stats.reason });
    },
  },
  {
    method: 'GET',
    path: '/api/csrf',
    api: true,
    async handle(context) {
      return jsonReply(200, { token: context.csrfToken, header: 'x-csrf-token' });
    },
  },
];
