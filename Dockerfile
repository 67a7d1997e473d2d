# syntax=docker/dockerfile:1
# Chartroom: build the TypeScript, then a slim runtime image with production
# dependencies only, running as the unprivileged `node` user.
#
# Node 26 is the Active LTS (since 2026-10-28, supported until April 2029); Node 20
# reached end of life in April 2026. trixie-slim (Debian 13) is the official image's
# default Debian for Node 26; bookworm is past its regular security support. The
# tests run on Node 20 (package.json's engines floor is 20.19), the image on the
# newest LTS. Keep both stages on the same tag.

# --- build ---------------------------------------------------------------------
FROM node:26-trixie-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json vite.config.ts ./
COPY src ./src
COPY console ./console
# tsconfig's rootDir is ".", so the compiled server lands in dist/src/; the web console
# (Vite) in dist/console/, which the server serves at /.
RUN npm run build

# --- runtime -------------------------------------------------------------------
FROM node:26-trixie-slim
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8080 \
    CHARTROOM_DATA_DIR=/data
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
# Migrations are read from /app/sql (next to dist/, as src/db/migrate.ts expects).
COPY sql ./sql
COPY openapi ./openapi
# The app files stay owned by root (read-only to the server); only /data is writable.
RUN mkdir -p /data && chown node:node /data
VOLUME ["/data"]
USER node
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8080) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# Apply pending migrations, then replace the shell with the server so it gets the signals.
CMD ["sh", "-c", "node dist/src/migrate-cli.js && exec node dist/src/server.js"]
