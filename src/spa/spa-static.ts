import { statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { IncomingMessage } from 'node:http';
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { isAdminRequest } from '../common/plane';
import { ConfigurationError } from '../config/configuration.error';
import { cacheControlFor, INDEX_CACHE_CONTROL } from './cache-control';
import { isAuthPath } from '../common/public-surface';

/**
 * Serves the SPA's built files from `SPA_DIR` on the browser port, after the proxy has taken its routes: a file that
 * exists is sent, and a page navigation (`Accept: text/html`) to anything else gets `index.html` so client-side routes
 * survive a reload. Everything else falls through to Nest (JSON 404). `send` keeps paths inside the directory.
 */
export function spaStatic(spaDir: string): RequestHandler {
  const root = resolve(spaDir);
  const index = join(root, 'index.html');
  assertSpaDir(root, index);
  const files = express.static(root, {
    index: ['index.html'],
    dotfiles: 'ignore',
    redirect: false,
    fallthrough: true,
    setHeaders: (response, path) => response.setHeader('cache-control', cacheControlFor(path)),
  });

  return (request: Request, response: Response, next: NextFunction): void => {
    if (!isSpaRequest(request)) return next();
    files(request, response, (error?: unknown) => {
      if (error !== undefined || !acceptsHtml(request)) return next(error);
      response.sendFile(index, { cacheControl: false, headers: { 'cache-control': INDEX_CACHE_CONTROL } }, (failure) => {
        if (failure && !response.headersSent) next(failure);
      });
    });
  };
}

function isSpaRequest(request: IncomingMessage): boolean {
  if (request.method !== 'GET' && request.method !== 'HEAD') return false;
  if (isAdminRequest(request)) return false;
  const path = request.url ?? '/';
  return !isAuthPath(path);
}

/** Browsers navigating to a page send `text/html`; scripts, images and `fetch()` calls do not. */
function acceptsHtml(request: IncomingMessage): boolean {
  return (request.headers.accept ?? '').toLowerCase().includes('text/html');
}

function assertSpaDir(root: string, index: string): void {
  const isDirectory = statSync(root, { throwIfNoEntry: false })?.isDirectory() ?? false;
  const hasIndex = statSync(index, { throwIfNoEntry: false })?.isFile() ?? false;
  if (!isDirectory || !hasIndex) throw new ConfigurationError(['SPA_DIR: must be a directory that holds index.html']);
}
