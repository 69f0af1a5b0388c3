# Shared settings for scripts/*. Source it; every value can be overridden from the environment.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export CXR_DATA_DIR="${CXR_DATA_DIR:-$ROOT/.data}"
export TEMPORAL_VERSION="${TEMPORAL_VERSION:-1.5.1}"
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
# Demo credentials (documented in the README); override both for anything real.
export ORTHANC_USERNAME="${ORTHANC_USERNAME:-cxr}"
export ORTHANC_PASSWORD="${ORTHANC_PASSWORD:-cxr-demo-password}"
export CXR_VENV="${CXR_VENV:-$ROOT/.tools/venv}"
export ONNXRUNTIME_NODE_INSTALL=skip

# Search attributes the pipeline writes (name=type), registered on the dev server at start.
CXR_SEARCH_ATTRIBUTES=(CxrZipName=Keyword CxrZipSha256=Keyword CxrState=Keyword CxrTotal=Int CxrDone=Int CxrFailed=Int CxrEntryName=Keyword CxrRetryOf=Keyword)

log() { printf '\033[1;34m[%s]\033[0m %s\n' "$(basename "$0")" "$*" >&2; }
die() { printf '\033[1;31m[%s] error:\033[0m %s\n' "$(basename "$0")" "$*" >&2; exit 1; }
