# influx-gateway image. docker-compose.yml builds it; alone: docker build -t influx-gateway .
# tsx runs the TypeScript sources directly, so there is no compile step: the image is deps + src/.

# Stage 1: production dependencies only, exactly as locked.
FROM node:24-alpine AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# Stage 2: the runtime. Files stay root-owned, so the process cannot modify its own code.
FROM node:24-alpine
ENV NODE_ENV=production GATEWAY_HOST=0.0.0.0
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY src ./src
# The CLI's default config/gateway.yaml then names the mounted file too (check-config without --config).
RUN ln -s /etc/influx-gateway /app/config
USER node
EXPOSE 8080
# Liveness only (no upstream call), with node's own fetch: the image needs no curl or wget.
HEALTHCHECK --interval=30s --timeout=5s --start-period=15s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:8080/gateway/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# Exec form: node is PID 1 and receives SIGTERM itself (graceful stop, exit 0).
ENTRYPOINT ["node", "--import", "tsx", "src/cli.ts"]
# Replaced by any arguments: `docker compose run --rm -T gateway hash-password`.
CMD ["--config", "/etc/influx-gateway/gateway.yaml"]
