import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * The /docs page: a shell that asks for the admin token, keeps it in a variable (never in storage, a cookie or the
 * URL), fetches /openapi.json with it and renders it with Swagger UI. Everything it loads is one of the files below,
 * from this origin, so its policy allows scripts and styles from 'self' only. Links are relative, so the page works
 * behind a proxy that mounts the admin API under a path.
 */
export const DOCS_PAGE_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

export const DOCS_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="referrer" content="no-referrer">
<title>BFF admin API</title><link rel="icon" href="data:,">
<link rel="stylesheet" href="docs/swagger-ui.css"><link rel="stylesheet" href="docs/docs.css"></head>
<body>
<form id="token-form" class="token-form" autocomplete="off">
<h1>BFF admin API</h1>
<p>The description of this API needs the admin token (<code>ADMIN_TOKEN</code>). It stays in this page's memory: reload the page and it is gone.</p>
<label for="admin-token">Admin token</label>
<input id="admin-token" name="admin-token" type="password" autocomplete="off" spellcheck="false" required autofocus>
<button type="submit">Show the API</button>
<p id="status" role="status"></p>
</form>
<div id="swagger-ui"></div>
<script src="docs/swagger-ui-bundle.js"></script>
<script src="docs/docs.js"></script>
</body></html>
`;

const DOCS_SCRIPT = `'use strict';
(() => {
  const form = document.getElementById('token-form');
  const input = document.getElementById('admin-token');
  const status = document.getElementById('status');
  const refusal = { 401: 'That token was refused.', 429: 'Too many wrong tokens from this address: wait, then try again.' };
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const token = input.value.trim();
    input.value = '';
    status.textContent = 'Loading…';
    let response;
    try {
      response = await fetch('openapi.json', { headers: { authorization: 'Bearer ' + token }, cache: 'no-store', credentials: 'omit' });
    } catch {
      status.textContent = 'The admin API could not be reached.';
      return;
    }
    if (!response.ok) {
      status.textContent = (refusal[response.status] || 'The admin API answered an error.') + ' (' + response.status + ')';
      input.focus();
      return;
    }
    const spec = await response.json();
    form.hidden = true;
    // The token stays in this closure: Swagger UI's "Try it out" calls get it from here, and nothing stores it.
    window.SwaggerUIBundle({
      spec,
      dom_id: '#swagger-ui',
      validatorUrl: null,
      requestInterceptor: (request) => {
        request.headers.Authorization = 'Bearer ' + token;
        return request;
      },
    });
  });
})();
`;

const DOCS_STYLE = `.token-form { max-width: 36rem; margin: 3rem auto; font-family: sans-serif; color: #3b4151; }
.token-form input { display: block; width: 100%; box-sizing: border-box; margin: 0.5rem 0 1rem; padding: 0.5rem; font-size: 1rem; }
.token-form button { padding: 0.5rem 1rem; font-size: 1rem; }
.token-form [role="status"] { min-height: 1.5em; }
`;

export interface DocsAsset {
  contentType: string;
  body: string;
}

/** The page's own files and Swagger UI's, by the name the page asks for; read once, on first use. */
export class DocsAssets {
  private readonly cache = new Map<string, DocsAsset>();

  get(name: string): DocsAsset | undefined {
    const cached = this.cache.get(name);
    if (cached) return cached;
    const asset = load(name);
    if (asset) this.cache.set(name, asset);
    return asset;
  }
}

function load(name: string): DocsAsset | undefined {
  switch (name) {
    case 'docs.js':
      return { contentType: 'text/javascript; charset=utf-8', body: DOCS_SCRIPT };
    case 'docs.css':
      return { contentType: 'text/css; charset=utf-8', body: DOCS_STYLE };
    case 'swagger-ui-bundle.js':
      return { contentType: 'text/javascript; charset=utf-8', body: swaggerUiFile(name) };
    case 'swagger-ui.css':
      return { contentType: 'text/css; charset=utf-8', body: swaggerUiFile(name) };
    default:
      return undefined;
  }
}

function swaggerUiFile(name: string): string {
  // The bundle ends with a source-map comment whose map is not served: drop it, so browsers do not ask for it.
  const text = readFileSync(join(dirname(require.resolve('swagger-ui-dist/package.json')), name), 'utf8');
  return text.replace(/\n\/\/# sourceMappingURL=\S+\s*$|\n\/\*# sourceMappingURL=\S+ \*\/\s*$/, '\n');
}
