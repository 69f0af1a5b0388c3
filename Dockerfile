# The pipeline's own image: the worker (src/worker.ts, by role), the CLI (src/client.ts) and the viewer
# (src/viewer.ts + the OHIF static build), for docker-compose.yml. Node 20 from Debian 13 (Debian 12's is 18);
# dependencies from package-lock.json (npm ci), the demo model from models/demo-cxr.
#   docker build --build-arg OHIF_VERSION=... --build-arg OHIF_INTEGRITY=... -t cxr-pipeline:local .
# (docker compose build passes them from .env, which scripts/docker/init writes from scripts/lib.sh.)
ARG DEBIAN_TRIXIE=debian:trixie-slim

FROM ${DEBIAN_TRIXIE} AS node
RUN apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
  nodejs npm ca-certificates openssl >/dev/null && rm -rf /var/lib/apt/lists/*
# The machine's extra CAs, if any (a TLS-inspecting proxy: docker/ca-certificates/README.md), for npm's downloads.
COPY docker/ca-certificates/ /usr/local/share/ca-certificates/
RUN update-ca-certificates >/dev/null 2>&1
ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
# onnxruntime-node would otherwise download CUDA libraries; its CPU binaries ship in the package.
ENV ONNXRUNTIME_NODE_INSTALL=skip
WORKDIR /app

# ---- production dependencies only
FROM node AS deps
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund --loglevel=error && npm cache clean --force

# ---- compile (src/ only: a test being edited cannot break the image)
FROM node AS build
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error
COPY tsconfig.json ./
COPY src ./src
RUN npx tsc -p tsconfig.json && test -f dist/src/worker.js

# ---- the OHIF viewer's static build, checked against the integrity pinned in scripts/lib.sh (as scripts/setup does)
FROM node AS ohif
ARG OHIF_VERSION
ARG OHIF_INTEGRITY
RUN test -n "$OHIF_VERSION" && test -n "$OHIF_INTEGRITY" || { echo "build args OHIF_VERSION and OHIF_INTEGRITY are required (scripts/docker/init writes them to .env)" >&2; exit 1; }
RUN cd /tmp && npm pack --silent "@ohif/app@$OHIF_VERSION" >/dev/null \
  && got="sha512-$(openssl dgst -sha512 -binary "ohif-app-$OHIF_VERSION.tgz" | base64 -w0)" \
  && { [ "$got" = "$OHIF_INTEGRITY" ] || { echo "@ohif/app@$OHIF_VERSION integrity mismatch: $got" >&2; exit 1; }; } \
  && mkdir -p /ohif && tar -xzf "ohif-app-$OHIF_VERSION.tgz" -C /ohif --strip-components=1 package/dist package/LICENSE package/package.json \
  && rm -rf /tmp/* /root/.npm

# ---- runtime
FROM ${DEBIAN_TRIXIE}
RUN apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
  nodejs ca-certificates >/dev/null && rm -rf /var/lib/apt/lists/* \
  && groupadd -g 1000 cxr && useradd -u 1000 -g 1000 -M -d /app cxr && mkdir -p /inbox /app/.data && chown cxr:cxr /app/.data
WORKDIR /app
ENV NODE_ENV=production ONNXRUNTIME_NODE_INSTALL=skip CXR_DATA_DIR=/app/.data CXR_MODEL_DIR=/app/models/demo-cxr \
  CXR_VIEWER_DIST=/ohif/dist
COPY --from=deps /app/node_modules ./node_modules
COPY --from=ohif /ohif /ohif
COPY package.json ./
COPY --from=build /app/dist ./dist
COPY models/demo-cxr ./models/demo-cxr
USER cxr
# The Temporal worker drains in-flight tasks on SIGTERM (docker compose stop).
CMD ["node", "dist/src/worker.js"]
