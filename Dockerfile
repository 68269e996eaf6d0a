# syntax=docker/dockerfile:1
# Multi-stage: build with dev dependencies, ship production dependencies only, run as non-root.
# BASE is any Node 20 image (public images cannot be pulled on this project's build machines,
# so scripts/docker-smoke.sh passes a locally made one).
ARG BASE=node:20-bookworm-slim

FROM ${BASE} AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json ./
COPY src ./src
COPY scripts ./scripts
COPY schemas ./schemas
COPY spec.json ./
COPY test/fake-pardot ./test/fake-pardot
COPY bench ./bench
RUN npm ci --ignore-scripts --no-audit --no-fund && npx tsc -p tsconfig.json && npm prune --omit=dev

FROM ${BASE}
ARG VERSION=0.1.0
LABEL io.airbyte.name="source-pardot-export" \
      io.airbyte.version="${VERSION}" \
      org.opencontainers.image.title="source-pardot-export" \
      org.opencontainers.image.description="Airbyte and Singer source for Salesforce Account Engagement (Pardot) through its Export API"
ENV NODE_ENV=production \
    AIRBYTE_ENTRYPOINT="/app/bin/source-pardot-export"
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/package.json ./
COPY bin ./bin
COPY schemas ./schemas
COPY spec.json ./
# A numeric non-root user works on any base, with or without a "node" account.
USER 1000:1000
ENTRYPOINT ["/app/bin/source-pardot-export"]
