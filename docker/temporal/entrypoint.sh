#!/usr/bin/env bash
# Roles of the Temporal image (docker-compose.yml), each through the functions of the native production profile
# (scripts/production.sh), so both run the same configuration:
#   server  schema setup/upgrade of temporal + temporal_visibility (temporal_schema), the server's config file
#           (write_temporal_server_config: persistence and visibility on PostgreSQL, frontend mTLS, metrics),
#           then the server as the container's main process
#   init    waits for SERVING, creates/updates the namespace and registers the search attributes (temporal_namespace_setup)
#   ui      the UI server (write_temporal_ui_config) on :8233
#   health  the frontend answers SERVING over mTLS (the compose health check)
# Secrets come from /run/secrets (compose secrets), certificates from /tls.
# passthrough:///: the Go gRPC clients (CLI, UI server) dial the name through the system resolver; grpc-go's own DNS
# resolver also asks the engine's DNS for records it does not know (SRV/TXT), which on the stack's internal networks
# are forwarded nowhere and time out (10 s), longer than the clients' deadline.
set -euo pipefail
export CXR_PROFILE=production CXR_DATA_DIR=/tmp/cxr CXR_SECRETS_DIR=/run/secrets ORTHANC_PASSWORD=unused \
  CXR_TLS_DIR=/tls CXR_PG_HOST="${CXR_PG_HOST:-postgresql}" CXR_PG_PORT="${CXR_PG_PORT:-5432}" TEMPORAL_PORT=7233 \
  TEMPORAL_INTERNAL_PORT_BASE=7234 TEMPORAL_ADDRESS="${TEMPORAL_ADDRESS:-passthrough:///temporal:7233}" TEMPORAL_BIN=/cxr/.tools/temporal
source /cxr/scripts/lib.sh
source /cxr/scripts/production.sh
LOG_DIR=/tmp/cxr/logs
RUN_DIR=/tmp/cxr/run
mkdir -p "$LOG_DIR" "$RUN_DIR"
# The schema check connects as the temporal role (the native profile uses the cluster's local socket).
temporal_schema_query() { PGPASSWORD="$(ensure_secret postgres-temporal)" psql -h "$CXR_PG_HOST" -p "$CXR_PG_PORT" -U temporal -d "$1" -qAt -c "$2"; }
# tls_temporal checks the frontend's certificate against its service name here (the native profile: localhost).
tls_temporal() { "$TEMPORAL_BIN" "$@" --address "$TEMPORAL_ADDRESS" --tls-cert-path "$CXR_TLS_DIR/temporal-client.pem" \
  --tls-key-path "$CXR_TLS_DIR/temporal-client.key" --tls-ca-path "$CXR_TLS_DIR/ca.pem" --tls-server-name temporal; }

case "${1:-server}" in
  server)
    for i in $(seq 1 60); do temporal_schema_query postgres 'SELECT 1' >/dev/null 2>&1 && break; sleep 1; done
    temporal_schema temporal temporal || { cat "$LOG_DIR/temporal-schema.log" >&2; exit 1; }
    temporal_schema temporal_visibility visibility || { cat "$LOG_DIR/temporal-schema.log" >&2; exit 1; }
    TEMPORAL_SERVER_ROOT=/tmp/cxr/temporal-server TEMPORAL_BIND_IP=0.0.0.0 TEMPORAL_METRICS_ADDRESS=0.0.0.0:9233 \
      write_temporal_server_config
    exec "$TEMPORAL_SERVER_BIN" --root /tmp/cxr/temporal-server --config config --env production --allow-no-auth start ;;
  init)
    for i in $(seq 1 120); do temporal_server_ok && break; sleep 1; done
    temporal_server_ok || die "Temporal at $TEMPORAL_ADDRESS did not answer SERVING in 120 s"
    temporal_namespace_setup
    existing="$(tls_temporal operator search-attribute list --namespace "${TEMPORAL_NAMESPACE:-default}")"
    for a in "${CXR_SEARCH_ATTRIBUTES[@]}"; do grep -qw "${a%%=*}" <<<"$existing" || die "search attribute ${a%%=*} missing"; done
    log "namespace ${TEMPORAL_NAMESPACE:-default} ready (retention $CXR_NAMESPACE_RETENTION, ${#CXR_SEARCH_ATTRIBUTES[@]} search attributes)" ;;
  ui)
    TEMPORAL_UI_ROOT=/tmp/cxr/temporal-ui TEMPORAL_UI_HOST=0.0.0.0 TEMPORAL_UI_PORT=8233 \
      TEMPORAL_UI_GRPC_ADDRESS="$TEMPORAL_ADDRESS" TEMPORAL_UI_TLS_SERVER_NAME=temporal write_temporal_ui_config
    exec "$TEMPORAL_UI_SERVER_BIN" --root /tmp/cxr/temporal-ui --config config --env production start ;;
  health) TEMPORAL_ADDRESS=127.0.0.1:7233 temporal_server_ok ;;
  *) exec "$@" ;;
esac
