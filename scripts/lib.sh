# Shared settings for scripts/*. Source it; every value can be overridden from the environment.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# CXR_PROFILE: dev (default), production or compose (see below); each keeps its own data folder.
export CXR_PROFILE="${CXR_PROFILE:-dev}"
if [[ "$CXR_PROFILE" == production || "$CXR_PROFILE" == compose ]]; then export CXR_DATA_DIR="${CXR_DATA_DIR:-$ROOT/.data/$CXR_PROFILE}"; fi
export CXR_DATA_DIR="${CXR_DATA_DIR:-$ROOT/.data}"
# The data folder holds raw DICOM, Orthanc's index, temporal.db, logs, the audit trail and the secrets: owner-only
# (0700) whatever the umask, also when it existed before (docs/security.md; secure-defaults.test.ts checks it).
ensure_data_dir() { (umask 077 && mkdir -p "$CXR_DATA_DIR") && chmod 700 "$CXR_DATA_DIR"; }
# Temporal CLI (dev server + Web UI). v1.9.1 embeds server 1.32.0 and UI 2.54.1: off CVE-2025-14986 (server
# 1.24.0-1.29.1; docs/security.md).
export TEMPORAL_VERSION="${TEMPORAL_VERSION:-1.9.1}"
export CXR_CACHE_DIR="${CXR_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/cxr-pipeline}"
export TEMPORAL_BIN="${TEMPORAL_BIN:-$ROOT/.tools/temporal}"
export TEMPORAL_PORT="${TEMPORAL_PORT:-7233}"
export TEMPORAL_UI_PORT="${TEMPORAL_UI_PORT:-8233}"
export TEMPORAL_ADDRESS="${TEMPORAL_ADDRESS:-127.0.0.1:$TEMPORAL_PORT}"
# How long Temporal keeps a closed ingest's history (attach, status, verify, retry-failed work until then; after it
# the same zip starts a new ingest). Set on the namespace by scripts/services at every start; shown by `cxr doctor`.
export CXR_NAMESPACE_RETENTION="${CXR_NAMESPACE_RETENTION:-168h}"
export ORTHANC_HTTP_PORT="${ORTHANC_HTTP_PORT:-8042}"
export ORTHANC_DICOM_PORT="${ORTHANC_DICOM_PORT:-4242}"
export ORTHANC_URL="${ORTHANC_URL:-http://127.0.0.1:$ORTHANC_HTTP_PORT}"
# ensure_secret NAME: print the secret in $CXR_DATA_DIR/secrets/NAME, generating it on first use (32 random bytes,
# base64url; folder 0700, file 0600; created atomically, so concurrent callers agree). Never echo it into logs.
ensure_secret() {
  local name="$1" dir="${CXR_SECRETS_DIR:-$CXR_DATA_DIR/secrets}" tmp
  [[ "$name" =~ ^[A-Za-z0-9._-]+$ ]] || { echo "ensure_secret: bad name '$name'" >&2; return 1; }
  if [[ ! -s "$dir/$name" ]]; then
    (umask 077 && mkdir -p "$dir") || return 1
    tmp="$(umask 077 && mktemp "$dir/.$name.XXXXXX")" || return 1
    head -c 32 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n' >"$tmp"
    ln "$tmp" "$dir/$name" 2>/dev/null || true # first writer wins
    rm -f "$tmp"
  fi
  cat "$dir/$name"
}
# Orthanc's credentials: no well-known default. Unless ORTHANC_PASSWORD is given, a random password is generated once
# per data folder (read it: cat $CXR_DATA_DIR/secrets/orthanc-password; scripts/services also writes user:password to
# $CXR_DATA_DIR/orthanc-credentials, which the CLI and worker read).
export ORTHANC_USERNAME="${ORTHANC_USERNAME:-cxr}"
ensure_data_dir || { echo "cannot create the data folder $CXR_DATA_DIR" >&2; exit 1; }
if [[ -z "${ORTHANC_PASSWORD:-}" ]]; then ORTHANC_PASSWORD="$(ensure_secret orthanc-password)"; fi
export ORTHANC_PASSWORD
# The viewer (OHIF + DICOMweb proxy): loopback only by default, behind its own login (docs/viewer.md, docs/security.md).
export CXR_VIEWER_HOST="${CXR_VIEWER_HOST:-127.0.0.1}"
export CXR_VIEWER_PORT="${CXR_VIEWER_PORT:-8044}"
export CXR_VENV="${CXR_VENV:-$ROOT/.tools/venv}"
export CXR_VENV_MODELS="${CXR_VENV_MODELS:-$ROOT/.tools/venv-models}"
export ONNXRUNTIME_NODE_INSTALL=skip

# Search attributes the pipeline writes (name=type), registered on the dev server at start.
# The dev server's SQLite visibility allows 3 Int and 10 Keyword attributes: the Int ones are taken (a study reuses
# CxrState/CxrTotal/CxrDone/CxrFailed for its own state and image counts), CxrPriority and CxrStudyUid are Keywords, CxrDeliveries a KeywordList.
CXR_SEARCH_ATTRIBUTES=(CxrZipName=Keyword CxrZipSha256=Keyword CxrState=Keyword CxrTotal=Int CxrDone=Int CxrFailed=Int CxrEntryName=Keyword CxrRetryOf=Keyword CxrPriority=Keyword CxrStudyUid=Keyword CxrDeliveries=KeywordList)
# Task-queue priority and fairness (src/priority.ts): server 1.29 serves tasks first come first served unless its
# priority-aware matcher is switched on; matching.enableFairness implies it and adds fairness between bulk jobs.
# Both are enforced within one task-queue partition: new tasks are written to one (reads stay at 4, so older tasks
# still drain). Both profiles pass the same values (dev server: --dynamic-config-value; production and compose:
# docker/temporal/dynamicconfig.yaml, checked against this list by test/unit/priority.test.ts).
CXR_DYNAMIC_CONFIG=(matching.useNewMatcher=true matching.enableFairness=true matching.numTaskqueueWritePartitions=1)

log() { printf '\033[1;34m[%s]\033[0m %s\n' "$(basename "$0")" "$*" >&2; }
die() { printf '\033[1;31m[%s] error:\033[0m %s\n' "$(basename "$0")" "$*" >&2; exit 1; }

# ---- Profiles: CXR_PROFILE=dev (default: Temporal dev server + Orthanc on SQLite) or production
# (PostgreSQL, the real Temporal server with mTLS, its UI server, Orthanc on PostgreSQL over HTTPS, workers
# by role, Prometheus metrics). See docs/deployment.md.
# compose: the same production topology as containers (docker-compose.yml, scripts/docker/, docs/deployment.md
# "Docker"); scripts/services and scripts/test drive it with `docker compose`.
[[ "$CXR_PROFILE" == dev || "$CXR_PROFILE" == production || "$CXR_PROFILE" == compose ]] ||
  die "CXR_PROFILE must be dev, production or compose (got $CXR_PROFILE)"
# One version line with the dev CLI 1.9.1 (server 1.32.0, UI 2.54.1): server 1.32.1 is the newest 1.32 that builds with
# the Go here (1.32.2 needs go >= 1.26.10); UI server 2.54.1 is the UI the CLI embeds.
export TEMPORAL_SERVER_VERSION="${TEMPORAL_SERVER_VERSION:-1.32.1}"
export TEMPORAL_UI_SERVER_VERSION="${TEMPORAL_UI_SERVER_VERSION:-2.54.1}"
# The container route (docker-compose.yml, docs/deployment.md "Docker"): the Compose v2 plugin built where the machine
# has none (scripts/docker/ensure-compose-plugin), and the Debian suites of the images (scripts/docker/base-images).
export COMPOSE_VERSION="${COMPOSE_VERSION:-2.40.3}"
# The OHIF viewer's static build (npm @ohif/app), fetched by scripts/setup and by the worker image (Dockerfile).
export OHIF_VERSION="${OHIF_VERSION:-3.13.2}"
export OHIF_INTEGRITY="${OHIF_INTEGRITY:-sha512-WZdxmpmG7rqFgW9ZJLcbgr3XCtLi1KDNPoMaeY5PPe6j4G4fjEjjkycZM6C6Zk2F87BKxFfpq+jd5xXZB9E8EA==}"
# Fixed when the cluster's database is created (docs/deployment.md).
export TEMPORAL_HISTORY_SHARDS="${TEMPORAL_HISTORY_SHARDS:-4}"
# Production-only ports. With CXR_EXTRA_PORT_BASE set (machines shared by several checkouts), all of them come
# from BASE..BASE+19; otherwise the defaults below.
_cxr_port() { if [[ -n "${CXR_EXTRA_PORT_BASE:-}" ]]; then echo $((CXR_EXTRA_PORT_BASE + $1)); else echo "$2"; fi; }
export CXR_PG_PORT="${CXR_PG_PORT:-$(_cxr_port 0 5433)}"
export TEMPORAL_METRICS_PORT="${TEMPORAL_METRICS_PORT:-$(_cxr_port 1 9233)}"
export CXR_IO_METRICS_PORT="${CXR_IO_METRICS_PORT:-$(_cxr_port 2 9464)}"
export CXR_INFERENCE_METRICS_PORT="${CXR_INFERENCE_METRICS_PORT:-$(_cxr_port 3 9465)}"
# Temporal's internal ports (membership and gRPC of frontend/history/matching/worker): BASE..BASE+7.
export TEMPORAL_INTERNAL_PORT_BASE="${TEMPORAL_INTERNAL_PORT_BASE:-$(_cxr_port 10 7234)}"
export CXR_TLS_DIR="${CXR_TLS_DIR:-$CXR_DATA_DIR/tls}"
export TEMPORAL_SERVER_BIN="${TEMPORAL_SERVER_BIN:-$ROOT/.tools/temporal-server}"
export TEMPORAL_SQL_TOOL="${TEMPORAL_SQL_TOOL:-$ROOT/.tools/temporal-sql-tool}"
export TEMPORAL_UI_SERVER_BIN="${TEMPORAL_UI_SERVER_BIN:-$ROOT/.tools/temporal-ui-server}"
if [[ "$CXR_PROFILE" == production || "$CXR_PROFILE" == compose ]]; then
  # The Temporal CLI, the workers and cxr read these (the temporal CLI's own variable names; @temporalio/envconfig).
  export TEMPORAL_TLS_CLIENT_CERT_PATH="${TEMPORAL_TLS_CLIENT_CERT_PATH:-$CXR_TLS_DIR/temporal-client.pem}"
  export TEMPORAL_TLS_CLIENT_KEY_PATH="${TEMPORAL_TLS_CLIENT_KEY_PATH:-$CXR_TLS_DIR/temporal-client.key}"
  export TEMPORAL_TLS_SERVER_CA_CERT_PATH="${TEMPORAL_TLS_SERVER_CA_CERT_PATH:-$CXR_TLS_DIR/ca.pem}"
  export ORTHANC_CA_FILE="${ORTHANC_CA_FILE:-$CXR_TLS_DIR/ca.pem}"
  if [[ "$ORTHANC_URL" == "http://127.0.0.1:$ORTHANC_HTTP_PORT" ]]; then export ORTHANC_URL="https://127.0.0.1:$ORTHANC_HTTP_PORT"; fi
fi
