/**
 * `@stowage/admin`: a Stowage admin handler an app mounts under its own
 * admin route, behind its own `authorize()`. A JSON API and a server-rendered
 * settings page (providers, test connection, enable, Default Storage, stats),
 * CSRF-safe, with a strict Content-Security-Policy and secrets never shown.
 */
export { CSRF_FIELD, CSRF_HEADER, CSRF_TOKEN_TTL_MS } from './csrf.js';
export { type AdminHandler, createAdminHandler } from './handler.js';
export { type NodeRequestListener, toFetchRequest, toNodeHandler, writeFetchResponse } from './node-handler.js';
export type { AdminAuthorization, AdminHandlerOptions } from './options.js';
export { BINDING_COOKIE } from './session-binding.js';
