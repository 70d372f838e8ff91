# syntax=docker/dockerfile:1
# The BFF's image. Stages: `build` compiles, `demo` adds the development IdP and the demo API (compose's demo
# profile), `runtime` (the last stage, so the default target) is what you deploy: production dependencies only,
# compiled JavaScript, a non-root user.
ARG NODE_IMAGE=node:24-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
ENV npm_config_update_notifier=false
COPY package.json package-lock.json ./
# Like .ci/run: when the registry in use lacks other platforms' optional packages (@swc/core-darwin-*, …), npm ci
# refuses the lockfile as out of sync; npm install from the same lockfile then keeps every version it pins.
RUN npm ci --no-audit --no-fund 2>/tmp/npm-ci.err \
 || { grep -q "Missing: .* from lock file" /tmp/npm-ci.err && npm install --no-audit --no-fund; } \
 || { cat /tmp/npm-ci.err >&2; exit 1; }
COPY tsconfig.json tsconfig.build.json tsconfig.migrations.json nest-cli.json ./
COPY src ./src
COPY migrations ./migrations
RUN npm run build

FROM build AS demo
COPY tsconfig.dev.json ./
COPY dev ./dev
COPY test/support ./test/support
RUN npx tsc -p tsconfig.dev.json
USER node
EXPOSE 9000 9100
CMD ["node", ".dev-build/dev/idp-server.js"]

FROM ${NODE_IMAGE} AS runtime
WORKDIR /app
ENV NODE_ENV=production npm_config_update_notifier=false
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund 2>/tmp/npm-ci.err \
 || { grep -q "Missing: .* from lock file" /tmp/npm-ci.err && npm install --omit=dev --ignore-scripts --no-audit --no-fund; } \
 || { cat /tmp/npm-ci.err >&2; exit 1; }; \
 rm -f /tmp/npm-ci.err && npm cache clean --force
COPY --from=build /app/dist ./dist
# Files stay root-owned and read-only to the process.
USER node
EXPOSE 8000 8001
# Node itself, since slim images have no curl; the admin listener must include loopback (ADMIN_HOST 127.0.0.1 or 0.0.0.0).
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.ADMIN_PORT || 8001) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "dist/main.js"]
