export interface BffClientOptions {
  /** The header the BFF's `CSRF_HEADER` names; its value is always `1`. Default `X-CSRF`. */
  csrfHeader?: string;
  /** How the client sends the browser to a login or logout URL. Default `location.assign`; tests observe it. */
  navigate?: (url: string) => void;
}

export interface ResolvedOptions {
  csrfHeader: string;
  navigate: (url: string) => void;
}

export function resolveOptions(options: BffClientOptions): ResolvedOptions {
  return {
    csrfHeader: options.csrfHeader ?? 'X-CSRF',
    navigate: options.navigate ?? ((url) => window.location.assign(url)),
  };
}

/** Returned while the browser leaves the page: nothing after the caller's `await` runs on a page being left. */
export function leavingPage<T>(): Promise<T> {
  return new Promise<T>(() => undefined);
}
