# influx-gateway image. docker-compose.yml builds it; alone: docker build -t influx-gateway .
# The TypeScript sources are compiled once, in the build stage; the image runs the JavaScript (dist/) with
# production dependencies only: no compiler, no loader.
# Node: the active LTS line (26). package.json `engines` names the oldest line the gateway supports.

# Stage 1: every dependency (the compiler), then dist/ from src/.
FROM node:26-alpine AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build && rm dist/.tsbuildinfo

# Stage 2: production dependencies only, exactly as locked; no install scripts (nothing here needs one).
FROM node:26-alpine AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

# Stage 3: the runtime. Files stay root-owned, so the process cannot modify its own code.
FROM node:26-alpine
ENV NODE_ENV=production GATEWAY_HOST=0.0.0.0
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY --from=build /app/dist ./dist
# The CLI's default config/gateway.yaml then names the mounted file too (check-config without --config).
RUN ln -s /etc/influx-gateway /app/config
USER node
EXPOSE 8080
# Liveness only (no upstream call), with node's own fetch: the image needs no curl or wget.
HEALTHCHECK --interval=30s --timeout=5s --start-period=15s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:8080/gateway/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# Exec form: node is PID 1 itself, with no shell or npm in between. It handles SIGTERM and SIGINT (graceful
# stop, exit 0) and SIGHUP (reload), so `docker kill -s HUP` reaches the gateway; it starts no child
# processes, so there are none to reap. Source maps: stack traces name the .ts file and line.
ENTRYPOINT ["node", "--enable-source-maps", "dist/cli.js"]
# Replaced by any arguments: `docker compose run --rm -T gateway hash-password`.
CMD ["--config", "/etc/influx-gateway/gateway.yaml"]
