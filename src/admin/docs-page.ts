import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * A self-contained Swagger UI page: script, style and spec inline, so one authenticated request renders it
 * (the admin API asks for its token on every endpoint, assets included).
 */
export function renderDocsPage(spec: unknown): string {
  const dist = dirname(require.resolve('swagger-ui-dist/package.json'));
  const css = readFileSync(join(dist, 'swagger-ui.css'), 'utf8');
  const bundle = readFileSync(join(dist, 'swagger-ui-bundle.js'), 'utf8');
  const specJson = JSON.stringify(spec).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>BFF admin API</title><style>${css}</style></head>
<body><div id="swagger-ui"></div>
<script>${bundle}</script>
<script>SwaggerUIBundle({ spec: ${specJson}, dom_id: '#swagger-ui' });</script>
</body></html>`;
}
