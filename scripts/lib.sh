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
# ensure_secret NAME: print the secret in $CXR_DATA_DIR/secrets/NAME, generating it on first use (32 random bytes,
# base64url; folder 0700, file 0600; created atomically, so concurrent callers agree). Never echo it into logs.
ensure_secret() {
  local name="$1" dir="$CXR_DATA_DIR/secrets" tmp
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
if [[ -z "${ORTHANC_PASSWORD:-}" ]]; then ORTHANC_PASSWORD="$(ensure_secret orthanc-password)"; fi
export ORTHANC_PASSWORD
export CXR_VENV="${CXR_VENV:-$ROOT/.tools/venv}"
export CXR_VENV_MODELS="${CXR_VENV_MODELS:-$ROOT/.tools/venv-models}"
export ONNXRUNTIME_NODE_INSTALL=skip

# Search attributes the pipeline writes (name=type), registered on the dev server at start.
CXR_SEARCH_ATTRIBUTES=(CxrZipName=Keyword CxrZipSha256=Keyword CxrState=Keyword CxrTotal=Int CxrDone=Int CxrFailed=Int CxrEntryName=Keyword CxrRetryOf=Keyword)

log() { printf '\033[1;34m[%s]\033[0m %s\n' "$(basename "$0")" "$*" >&2; }
die() { printf '\033[1;31m[%s] error:\033[0m %s\n' "$(basename "$0")" "$*" >&2; exit 1; }
