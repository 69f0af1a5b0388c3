# Worker image for the chest X-ray pipeline (src/worker.ts -> dist/src/worker.js).
# Built by docker-compose.yml (service "worker"); can also be built alone:
#   docker build -t cxr-pipeline-worker .
# UNVERIFIED: written without a Docker daemon (none where this was authored); the steps mirror
# what `npm ci && npm run build` do natively.

ARG NODE_IMAGE=node:20-bookworm-slim

# ---- build: full dependency tree (TypeScript etc.), compile to dist/ -------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /app
# onnxruntime-node's install script would otherwise try to download optional GPU (CUDA/TensorRT)
# binaries; the CPU binaries for linux x64/arm64 ship inside the npm package itself.
ENV ONNXRUNTIME_NODE_INSTALL=skip
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
# tsconfig also includes test/ and bench/; they are not copied (see .dockerignore), so a test
# being edited cannot break the image build.
RUN npm run build && test -f dist/src/worker.js

# ---- runtime: production dependencies only ----------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    ONNXRUNTIME_NODE_INSTALL=skip
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
# The model (model.onnx + manifest.json under models/demo-cxr, built on the host by scripts/setup)
# is not baked in: models/ is untracked, so a fresh clone has none and COPY would fail.
# docker-compose.yml bind-mounts ./models read-only at /app/models instead; point CXR_MODEL_DIR
# elsewhere to use another model folder.
# Zip input folder (bind-mounted by docker-compose.yml).
RUN mkdir -p /inbox /app/models /app/.data && chown node:node /app/.data
USER node
ENV CXR_MODEL_DIR=/app/models/demo-cxr \
    CXR_DATA_DIR=/app/.data
# The Temporal worker installs SIGINT/SIGTERM handlers and drains in-flight tasks on shutdown.
CMD ["node", "dist/src/worker.js"]
