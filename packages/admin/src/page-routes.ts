/**
 * The settings page and its plain HTML forms. Each form post does its
 * action and answers with the whole page again, its result shown next to the
 * provider it was about (saved, the test report, the problems with the
 * entered values kept, secrets never), so everything works without script.
 */
import { LOCAL_BACKEND } from '@stowage/storage-core';
import { activeBackend, saveSettings, setDefault, setEnabled, statsOf, testConnection } from './actions.js';
import { enteredValues, settingsFromForm } from './form-input.js';
import { HttpProblem, problemOf } from './http-problem.js';
import type { PageNotice, ProviderOutcome } from './page/page-state.js';
import { settingsPage } from './page/settings-page.js';
import { findProvider, listProviders } from './providers.js';
import { htmlReply, type Reply } from './reply.js';
import type { Route, RouteContext } from './routes.js';

async function renderPage(
  context: RouteContext,
  status: number,
  extras: { focus?: { provider: string; outcome: ProviderOutcome }; notice?: PageNotice } = {},
): Promise<Reply> {
  const { options } = context;
  const page = settingsPage({
    basePath: options.basePath,
    csrfToken: context.csrfToken,
    nonce: context.nonce,
    providers: listProviders(options.storage, options.definitions),
    defaultBackend: options.storage.registry.defaultBackend,
    active: activeBackend(options),
    stats: await statsOf(options),
    notice: extras.notice,
    focus: extras.focus,
  });
  return htmlReply(status, page);
}

function formBody(context: RouteContext): URLSearchParams {
  if (context.body.kind === 'form') return context.body.value;
  throw new HttpProblem(415, ['send the form as application/x-www-form-urlencoded']);
}

function provider(context: RouteContext) {
  return findProvider(context.options.storage, context.options.definitions, context.params.name ?? '');
}

/** Runs `action`; a refusal the admin can fix is shown on the page next to the provider instead of thrown. */
async function refusedOr(
  context: RouteContext,
  name: string,
  entered: Record<string, unknown> | undefined,
  action: () => Promise<Reply>,
): Promise<Reply> {
  try {
    return await action();
  } catch (error) {
    const problem = problemOf(error);
    if (!problem || problem.status === 404 || problem.status === 415) throw error;
    return renderPage(context, problem.status, {
      focus: { provider: name, outcome: { kind: 'refused', problems: problem.problems, entered } },
    });
  }
}

/** Save, or save then test: the settings form's two buttons. */
function settingsRoute(path: string, test: boolean): Route {
  return {
    method: 'POST',
    path,
    api: false,
    async handle(context) {
      const found = provider(context);
      const name = found.view.name;
      if (name === LOCAL_BACKEND && test) {
        const report = await testConnection(context.options, name);
        return renderPage(context, 200, { focus: { provider: name, outcome: { kind: 'tested', report } } });
      }
      if (!found.editable) {
        throw new HttpProblem(400, ['this provider has no settings form here']);
      }
      const form = formBody(context);
      const entered = enteredValues(found, form);
      const { input, problems } = settingsFromForm(found, form);
      if (problems.length > 0) {
        return renderPage(context, 400, {
          focus: { provider: name, outcome: { kind: 'refused', problems, entered } },
        });
      }
      return refusedOr(context, name, entered, async () => {
        await saveSettings(context.options, name, input);
        if (!test) return renderPage(context, 200, { focus: { provider: name, outcome: { kind: 'saved' } } });
        const report = await testConnection(context.options, name);
        return renderPage(context, 200, { focus: { provider: name, outcome: { kind: 'tested', report } } });
      });
    },
  };
}

function enableRoute(enabled: boolean): Route {
  return {
    method: 'POST',
    path: `/providers/:name/${enabled ? 'enable' : 'disable'}`,
    api: false,
    async handle(context) {
      const name = provider(context).view.name;
      formBody(context);
      return refusedOr(context, name, undefined, async () => {
        await setEnabled(context.options, name, enabled);
        return renderPage(context, 200, {
          focus: { provider: name, outcome: { kind: enabled ? 'enabled' : 'disabled' } },
        });
      });
    },
  };
}

/** The page's routes. */
export const PAGE_ROUTES: readonly Route[] = [
  {
    method: 'GET',
    path: '/',
    api: false,
    handle: (context) => renderPage(context, 200),
  },
  settingsRoute('/providers/:name', false),
  settingsRoute('/providers/:name/test', true),
  enableRoute(true),
  enableRoute(false),
  {
    method: 'POST',
    path: '/default',
    api: false,
    async handle(context) {
      const name = formBody(context).get('name') ?? '';
      if (name === '') throw new HttpProblem(400, ['name: choose a provider']);
      const found = findProvider(context.options.storage, context.options.definitions, name);
      try {
        await setDefault(context.options, found.view.name);
      } catch (error) {
        const problem = problemOf(error);
        if (!problem) throw error;
        return renderPage(context, problem.status, {
          notice: { tone: 'bad', title: `${found.view.label} cannot be the Default Storage.`, lines: problem.problems },
        });
      }
      return renderPage(context, 200, {
        notice: {
          tone: 'ok',
          title: `Default Storage is now ${found.view.label}.`,
          lines: ['New results go there. Files already stored keep serving from where they are.'],
        },
      });
    },
  },
];
