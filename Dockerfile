# syntax=docker/dockerfile:1
# source-pardot-export: one image for Airbyte (spec/check/discover/read) and Singer (--discover, --catalog).
#
# Multi-stage: compile with dev dependencies, ship the compiled connector with production
# dependencies only, run as a non-root user (uid 1000).
# BASE: a Node image with npm, Node ^20.19 or >= 22.12 (package.json engines); the default is
# Node 24 (LTS) on Debian. Other bases (Alpine/BusyBox, distroless) work as far as
# bin/source-pardot-export's first line runs under their /usr/bin/env: check with
#   docker run --rm IMAGE --version
# VERSION labels the image; the build stops when it is not package.json's version.
#
#   docker build -t source-pardot-export .
#   docker run --rm source-pardot-export spec
#   docker run --rm -v "$PWD/secrets:/secrets:ro" source-pardot-export read --config /secrets/config.json --catalog /secrets/catalog.json
ARG BASE=node:24-trixie-slim
ARG VERSION=0.1.0

FROM ${BASE} AS build
ARG VERSION
WORKDIR /app
# Dependencies first: this layer is reused until the lockfile changes. --ignore-scripts: the
# package's `prepare` (a build) must not run before the sources are in.
COPY package.json package-lock.json ./
# The label below must name the version this image holds.
RUN node -e 'const v = require("./package.json").version; if (v !== process.argv[1]) { console.error("VERSION is " + process.argv[1] + " but package.json says " + v + ": build with --build-arg VERSION=" + v); process.exit(1); }' "${VERSION}"
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json spec.json ./
COPY schemas ./schemas
COPY src ./src
COPY scripts/gen-validators.mjs scripts/bundle.mjs ./scripts/
COPY bin ./bin
# As `npm run build`, for the connector only (not the tests, the fake or the benchmarks): the input
# validators generated from their schemas, the compiled files in dist/src, then the bundle the
# executable runs, dist/bundle, with its V8 code cache made by this image's own node (its
# training run reaches for loopback port 1 only).
RUN node scripts/gen-validators.mjs \
 && printf '{"extends":"./tsconfig.json","compilerOptions":{"sourceMap":false},"include":["src/**/*.ts"]}' > tsconfig.image.json \
 && npx tsc -p tsconfig.image.json \
 && node scripts/bundle.mjs \
 && npm prune --omit=dev --no-audit --no-fund \
 && find node_modules -mindepth 1 -maxdepth 1 -type d -empty -delete

FROM ${BASE}
ARG VERSION
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
COPY package.json spec.json README.md ./
COPY bin ./bin
# A numeric non-root user works on any base, with or without a "node" account (node images: uid 1000).
USER 1000:1000
ENTRYPOINT ["/app/bin/source-pardot-export"]
