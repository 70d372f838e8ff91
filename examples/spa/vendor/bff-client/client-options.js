export function resolveOptions(options) {
    return {
        csrfHeader: options.csrfHeader ?? 'X-CSRF',
        navigate: options.navigate ?? ((url) => window.location.assign(url)),
    };
}
/** Returned while the browser leaves the page: nothing after the caller's `await` runs on a page being left. */
export function leavingPage() {
    return new Promise(() => undefined);
}
