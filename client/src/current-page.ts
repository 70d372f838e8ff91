/** Where the browser is now, as a same-origin path: the `returnTo` that brings the user back here. */
export function currentPage(): string {
  const { pathname, search, hash } = window.location;
  return `${pathname}${search}${hash}`;
}
