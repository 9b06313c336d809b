# syntax=docker/dockerfile:1
# One image per service:  docker build --build-arg APP=event-enricher -t nowcast/event-enricher .
# APP is one of event-enricher, metrics-aggregator, embedding-writer, recommender-api.
# `--target tools` gives an image with the sources and dev tools (the simulator in compose).
# Untested here: the development machines and CI have no Docker engine (see docs/deploy.md).

ARG NODE_IMAGE=node:20-slim

# --- dependencies and sources (dev dependencies included: nest build, swc) ---
FROM ${NODE_IMAGE} AS deps
WORKDIR /src
# hnswlib-node compiles a native addon when it installs: the toolchain stays in this stage
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
# postinstall applies patch-package's patches (kafkajs' produce path, see libs/kafka/README.md)
COPY patches ./patches
RUN npm ci --no-audit --no-fund
COPY nest-cli.json tsconfig.json tsconfig.build.json ./
COPY apps ./apps
COPY libs ./libs
COPY scripts ./scripts

# --- the simulator and other scripts, run with swc-node (compose profile "simulator") ---
FROM deps AS tools
USER node
ENTRYPOINT ["node", "-r", "@swc-node/register"]
CMD ["scripts/simulate.ts", "--help"]

# --- one app bundled by webpack, then dev dependencies dropped ---
FROM deps AS build
ARG APP
RUN test -n "${APP}" || (echo "build with --build-arg APP=<service>" >&2; exit 1)
RUN npx nest build "${APP}" \
  && mkdir -p /out \
  && cp "dist/apps/${APP}/main.js" /out/main.js \
  && npm prune --omit=dev --no-audit --no-fund

# --- runtime: production dependencies (native addon already built) and the bundle, non-root ---
FROM ${NODE_IMAGE} AS runtime
ARG APP
LABEL org.opencontainers.image.title="nowcast-${APP}"
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /src/package.json ./package.json
COPY --from=build /src/node_modules ./node_modules
# A fixed path: exec-form CMD does not expand ${APP} (no shell), and no shell stays PID 1
# between the kubelet's SIGTERM and node.
COPY --from=build /out/main.js ./dist/main.js
# the `node` user (uid 1000) of the official image; k8s runs it with a read-only root filesystem
USER node
EXPOSE 3000-3003 50051-50054
# a young generation held at 64 MiB keeps each batch's short-lived objects from being promoted
# (SERVICE_NODE_FLAGS in libs/mesh, docs/benchmarks.md); on the command line because NODE_OPTIONS
# refuses --min-semi-space-size
CMD ["node", "--max-semi-space-size=64", "--min-semi-space-size=64", "dist/main.js"]
