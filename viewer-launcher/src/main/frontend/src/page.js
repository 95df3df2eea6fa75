// What the portal pages share: their texts in the page's language, and buttons whose failures are shown.
import { language, translator } from './i18n.js';

/** Puts the page's static texts ([data-i18n]) and title in its language; returns the language and translator. */
export function localisePage(titleKey) {
  const lang = language();
  const t = translator(lang);
  document.documentElement.lang = lang;
  document.querySelectorAll('[data-i18n]').forEach((el) => { el.textContent = t(el.dataset.i18n); });
  document.title = t(titleKey);
  return { lang, t };
}

/** A button running an action; what goes wrong is written into `status`. */
export function actionButton(label, cls, onClick, status) {
  const b = document.createElement('button');
  b.textContent = label;
  b.className = cls;
  b.addEventListener('click', async () => {
    try { await onClick(b); } catch (e) { status.textContent = e.message; }
  });
  return b;
}
