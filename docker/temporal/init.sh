#!/bin/sh
# One-shot Temporal initialisation (run by the "temporal-init" service in docker-compose.yml,
# image temporalio/admin-tools): waits until the server answers SERVING, creates the namespace
# if missing (temporalio/server, unlike the dev server, creates none), and registers the
# pipeline's custom search attributes, the same set scripts/lib.sh gives the dev server
# (CXR_SEARCH_ATTRIBUTES). Idempotent: attributes already present are skipped.
# UNVERIFIED: written without a Docker daemon.
set -eu

ADDR="${TEMPORAL_ADDRESS:-temporal:7233}"
NS="${TEMPORAL_NAMESPACE:-default}"
RETENTION="${TEMPORAL_NAMESPACE_RETENTION:-168h}"
ATTRS="${CXR_SEARCH_ATTRIBUTES:-CxrZipName=Keyword CxrZipSha256=Keyword CxrState=Keyword CxrEntryName=Keyword CxrRetryOf=Keyword CxrTotal=Int CxrDone=Int CxrFailed=Int CxrPriority=Keyword CxrStudyUid=Keyword CxrDeliveries=KeywordList}"

t() { temporal "$@" --address "$ADDR"; }

echo "waiting for Temporal at $ADDR"
i=0
until t operator cluster health 2>/dev/null | grep -q SERVING; do
  i=$((i + 1)); [ "$i" -lt 120 ] || { echo "Temporal did not become healthy" >&2; exit 1; }
  sleep 2
done

if t operator namespace describe --namespace "$NS" >/dev/null 2>&1; then
  echo "namespace $NS exists"
else
  echo "creating namespace $NS (retention $RETENTION)"
  t operator namespace create --namespace "$NS" --retention "$RETENTION"
fi

# The namespace can take a moment to be usable after creation; retry listing.
i=0
until existing="$(t operator search-attribute list --namespace "$NS")"; do
  i=$((i + 1)); [ "$i" -lt 30 ] || { echo "cannot list search attributes" >&2; exit 1; }
  sleep 2
done

for a in $ATTRS; do
  name="${a%%=*}"; type="${a#*=}"
  if printf '%s\n' "$existing" | grep -qw "$name"; then
    echo "search attribute $name exists"
  else
    echo "creating search attribute $name ($type)"
    t operator search-attribute create --namespace "$NS" --name "$name" --type "$type"
  fi
done

# Verify, so a silent failure cannot let the worker start without its attributes.
existing="$(t operator search-attribute list --namespace "$NS")"
for a in $ATTRS; do
  name="${a%%=*}"
  printf '%s\n' "$existing" | grep -qw "$name" || { echo "search attribute $name missing" >&2; exit 1; }
done
echo "namespace $NS ready with the pipeline's search attributes"
