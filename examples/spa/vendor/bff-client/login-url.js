import { currentPage } from './current-page.js';
export function loginUrl(options = {}) {
    const query = new URLSearchParams({ returnTo: options.returnTo ?? currentPage() });
    if (options.prompt !== undefined)
        query.set('prompt', options.prompt);
    if (options.maxAge !== undefined)
        query.set('max_age', String(options.maxAge));
    if (options.acrValues !== undefined)
        query.set('acr_values', spaced(options.acrValues));
    if (options.loginHint !== undefined)
        query.set('login_hint', options.loginHint);
    if (options.uiLocales !== undefined)
        query.set('ui_locales', spaced(options.uiLocales));
    return `/auth/login?${query.toString().replaceAll('+', '%20')}`;
}
/** OAuth lists (`acr_values`, `ui_locales`) are space-separated. */
function spaced(value) {
    return typeof value === 'string' ? value : value.join(' ');
}
