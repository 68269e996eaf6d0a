# syntax=docker/dockerfile:1
# source-pardot-export: one image for Airbyte (spec/check/discover/read) and Singer (--discover, --catalog).
#
# Multi-stage: compile with dev dependencies, ship the compiled connector with production
# dependencies only, run as a non-root user.
# Supported bases (BASE): a Node image with npm, Node ^20.19 or >= 22.12 (package.json engines), and
# a uid 1000 that may run it. Tested: Debian-based (node:20-bookworm-slim, the default; also what
# scripts/docker-smoke.sh builds locally, as public images cannot be pulled on this project's build
# machines). Any other base (Alpine/BusyBox, distroless) works only as far as bin/source-pardot-export's
# first line runs under its /usr/bin/env; check with: docker run --rm IMAGE --version
#
#   docker build -t source-pardot-export:dev .
#   docker run --rm source-pardot-export:dev spec
#   docker run --rm -v "$PWD/secrets:/secrets" source-pardot-export:dev read --config /secrets/config.json --catalog /secrets/catalog.json
ARG BASE=node:20-bookworm-slim

FROM ${BASE} AS build
WORKDIR /app
# Dependencies first: this layer is reused until the lockfile changes. --ignore-scripts: the
# package's `prepare` (a build) must not run before the sources are in.
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json spec.json ./
COPY schemas ./schemas
COPY src ./src
COPY scripts/gen-validators.mjs scripts/bundle.mjs ./scripts/
COPY bin ./bin
# As `npm run build`, for the connector only (not the tests, the fake or the benchmarks): the input
# validators generated from their schemas, the compiled files in dist/src, then the bundle the
# executable runs, dist/bundle, with its V8 code cache made by this image's own node (README
# "Performance": start-up; its training run reaches for loopback port 1 only).
RUN node scripts/gen-validators.mjs \
 && printf '{"extends":"./tsconfig.json","compilerOptions":{"sourceMap":false},"include":["src/**/*.ts"]}' > tsconfig.image.json \
 && npx tsc -p tsconfig.image.json \
 && node scripts/bundle.mjs \
 && npm prune --omit=dev --no-audit --no-fund \
 && find node_modules -mindepth 1 -maxdepth 1 -type d -empty -delete

FROM ${BASE}
ARG VERSION=0.1.0
LABEL io.airbyte.name="source-pardot-export" \
      io.airbyte.version="${VERSION}" \
      org.opencontainers.image.title="source-pardot-export" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.description="Airbyte source and Singer tap for Salesforce Account Engagement (Pardot) through its bulk Export API"
# Airbyte runs the connector with this entrypoint; NODE_ENV keeps libraries on their production paths.
ENV NODE_ENV=production \
    AIRBYTE_ENTRYPOINT="/app/bin/source-pardot-export"
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist/src ./dist/src
COPY --from=build /app/dist/bundle ./dist/bundle
COPY package.json spec.json ./
COPY bin ./bin
# A numeric non-root user works on any base, with or without a "node" account (node images: uid 1000).
USER 1000:1000
ENTRYPOINT ["/app/bin/source-pardot-export"]
