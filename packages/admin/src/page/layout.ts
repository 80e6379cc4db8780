/**
 * The document around every admin page: one inline style sheet and one small
 * script, both allowed by the response's CSP nonce. The page works without
 * the script; with it, a submitted form shows that it is working and cannot
 * be sent twice.
 */
import { type Html, html } from '../html.js';
import { ENHANCE_SCRIPT } from './enhance-script.js';
import { STYLES } from './styles.js';

/** A full document with `title` and `body`. */
export function pageDocument(title: string, body: Html, nonce: string): Html {
  return html`<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>${title}</title>
    <style nonce="${nonce}">${STYLES}</style>
  </head>
  <body>
    ${body}
    <script nonce="${nonce}">${ENHANCE_SCRIPT}</script>
  </body>
</html>`;
}

/** A plain page with a heading and a message: for refusals (401, 403, 404...). */
export function plainPage(title: string, message: Html, nonce: string): Html {
  return pageDocument(title, html`<main class="plain"><h1>${title}</h1>${message}</main>`, nonce);
}
