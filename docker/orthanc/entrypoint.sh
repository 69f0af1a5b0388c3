#!/bin/sh
# Orthanc in the compose stack: the runtime configuration written by scripts/orthanc/runtime-config.js (as
# scripts/services does natively) from orthanc.json + orthanc.production.json, with the container's values:
# storage in the volume, PostgreSQL at the "postgresql" service, the certificate from /tls, REST from the stack's
# networks (the published ports stay on loopback), credentials from /run/secrets, C-STORE senders from
# ORTHANC_DICOM_MODALITIES (docs/security.md; default: orthanc.json's list). Then Orthanc itself.
# CURL_HOME holds the health check's credentials (curl -K), so they are never on a command line.
set -eu
umask 077
ORTHANC_USERNAME="${ORTHANC_USERNAME:-cxr}" ORTHANC_PASSWORD="$(cat /run/secrets/orthanc-password)" \
  CXR_PG_ORTHANC_PASSWORD="$(cat /run/secrets/postgres-orthanc)" ORTHANC_REMOTE_ACCESS=true \
  node /cxr/scripts/orthanc/runtime-config.js /cxr/orthanc.json /tmp/orthanc.runtime.json /var/lib/orthanc/db \
  8042 4242 /cxr/orthanc.production.json 5432 \
  /tls/orthanc-bundle.pem "${CXR_PG_HOST:-postgresql}"
printf 'user = "%s:%s"\n' "${ORTHANC_USERNAME:-cxr}" "$(cat /run/secrets/orthanc-password)" >/tmp/.curlrc
LD_LIBRARY_PATH=/cxr/shim exec Orthanc /tmp/orthanc.runtime.json
