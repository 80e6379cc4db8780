/**
 * The page's only script (progressive enhancement, allowed by the CSP nonce):
 * once a form is sent, its buttons are disabled so it is not sent twice, and
 * "Test connection" says that it is testing. Without it the forms work the same.
 */
import { Html } from '../html.js';

export const ENHANCE_SCRIPT = new Html(`
document.documentElement.dataset.enhanced = 'yes';
for (const form of document.querySelectorAll('form')) {
  form.addEventListener('submit', (event) => {
    const submitter = event.submitter;
    if (submitter && submitter.dataset.busyLabel) submitter.textContent = submitter.dataset.busyLabel;
    form.setAttribute('aria-busy', 'true');
    // After this turn, so the submission already holds the button that sent it.
    setTimeout(() => { for (const button of form.querySelectorAll('button')) button.disabled = true; }, 0);
  });
}
`);
