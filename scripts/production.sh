# The production profile of scripts/services (CXR_PROFILE=production); sourced by scripts/services and
# scripts/setup after lib.sh. docs/deployment.md describes what runs where.
#   - PostgreSQL 15 (Debian) in a private data folder ($CXR_PG_DIR), on 127.0.0.1:$CXR_PG_PORT
#   - the Temporal server (go.temporal.io/server $TEMPORAL_SERVER_VERSION): persistence and visibility on
#     PostgreSQL, frontend with mutual TLS (private CA from ensure_tls), Prometheus on $TEMPORAL_METRICS_PORT
#   - the Temporal UI server (github.com/temporalio/ui-server/v2 $TEMPORAL_UI_SERVER_VERSION) on $TEMPORAL_UI_PORT
#   - Orthanc: orthanc.json + orthanc.production.json (index on PostgreSQL, HTTPS)
#   - workers by role: worker-io and worker-inference, each with its own Prometheus endpoint

PG_BIN="${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}"
TEMPORAL_SERVER_CACHE="$CXR_CACHE_DIR/temporal-server-$TEMPORAL_SERVER_VERSION"
TEMPORAL_UI_CACHE="$CXR_CACHE_DIR/temporal-ui-server-$TEMPORAL_UI_SERVER_VERSION"

# ---- install (scripts/setup) -------------------------------------------------------------------
# Built from the official Go modules (checksummed by sum.golang.org), cached outside the clone by version.
# The schema files come from the same module version, copied next to the binaries.
install_production_binaries() {
  local gomodcache tmp
  if [[ ! -x "$TEMPORAL_SERVER_CACHE/temporal-server" || ! -x "$TEMPORAL_SERVER_CACHE/temporal-sql-tool" || ! -d "$TEMPORAL_SERVER_CACHE/schema/postgresql" ]]; then
    command -v go >/dev/null || die "Go is needed to build the Temporal server (apt-get install golang)"
    log "building Temporal server v$TEMPORAL_SERVER_VERSION from go.temporal.io/server (takes ~4 min once)"
    tmp="$(mktemp -d "$CXR_CACHE_DIR/.temporal-server.XXXXXX")"
    GOBIN="$tmp" GOFLAGS=-mod=mod go install "go.temporal.io/server/cmd/server@v$TEMPORAL_SERVER_VERSION"
    GOBIN="$tmp" GOFLAGS=-mod=mod go install "go.temporal.io/server/cmd/tools/sql@v$TEMPORAL_SERVER_VERSION"
    mv "$tmp/server" "$tmp/temporal-server" && mv "$tmp/sql" "$tmp/temporal-sql-tool"
    gomodcache="$(go env GOMODCACHE)"
    mkdir -p "$tmp/schema" && cp -r "$gomodcache/go.temporal.io/server@v$TEMPORAL_SERVER_VERSION/schema/postgresql" "$tmp/schema/"
    chmod -R u+w "$tmp/schema"
    rm -rf "$TEMPORAL_SERVER_CACHE" && mv "$tmp" "$TEMPORAL_SERVER_CACHE"
  fi
  if [[ ! -x "$TEMPORAL_UI_CACHE/temporal-ui-server" ]]; then
    command -v go >/dev/null || die "Go is needed to build the Temporal UI server (apt-get install golang)"
    log "building Temporal UI server v$TEMPORAL_UI_SERVER_VERSION from github.com/temporalio/ui-server/v2"
    tmp="$(mktemp -d "$CXR_CACHE_DIR/.temporal-ui-server.XXXXXX")"
    GOBIN="$tmp" GOFLAGS=-mod=mod go install "github.com/temporalio/ui-server/v2/cmd/server@v$TEMPORAL_UI_SERVER_VERSION"
    mv "$tmp/server" "$tmp/temporal-ui-server"
    rm -rf "$TEMPORAL_UI_CACHE" && mv "$tmp" "$TEMPORAL_UI_CACHE"
  fi
  ln -sfn "$TEMPORAL_SERVER_CACHE/temporal-server" "$ROOT/.tools/temporal-server"
  ln -sfn "$TEMPORAL_SERVER_CACHE/temporal-sql-tool" "$ROOT/.tools/temporal-sql-tool"
  ln -sfn "$TEMPORAL_UI_CACHE/temporal-ui-server" "$ROOT/.tools/temporal-ui-server"
  ln -sfn "$TEMPORAL_SERVER_CACHE/schema" "$ROOT/.tools/temporal-schema"
}

# Orthanc's own HTTPS needs this on Debian 12 (see scripts/orthanc/openssl3-shim.c); cached by source hash.
orthanc_ssl_shim_dir() { echo "$CXR_CACHE_DIR/orthanc-openssl3-shim-$(sha256sum "$ROOT/scripts/orthanc/openssl3-shim.c" | cut -c1-12)"; }
ensure_orthanc_ssl_shim() {
  local d; d="$(orthanc_ssl_shim_dir)"
  [[ -s "$d/libssl.so" ]] && return
  command -v gcc >/dev/null || die "gcc is needed to build the OpenSSL 3 shim for Orthanc's HTTPS (apt-get install gcc)"
  local lib; lib="$(dirname "$(ldconfig -p | awk '/libssl\.so\.3 .*x86-64|libssl\.so\.3 / {print $NF; exit}')")"
  mkdir -p "$d.tmp"
  gcc -shared -fPIC -O2 -o "$d.tmp/libssl.so" "$ROOT/scripts/orthanc/openssl3-shim.c" -Wl,--no-as-needed -l:libssl.so.3 -l:libcrypto.so.3
  ln -sfn "$lib/libcrypto.so.3" "$d.tmp/libcrypto.so"
  rm -rf "$d" && mv "$d.tmp" "$d"
}

# ---- TLS: a private CA and the certificates of this deployment --------------------------------
# $CXR_TLS_DIR/{ca.pem,ca.key} sign: temporal-server (frontend, serverAuth + clientAuth for the server's own
# system worker), temporal-client (workers, cxr, temporal CLI, UI server), orthanc (HTTPS; orthanc-bundle.pem is
# cert + key, the form Orthanc's SslCertificate wants). Extra names for other machines: CXR_TLS_HOSTNAMES.
ensure_tls() {
  local d="$CXR_TLS_DIR" names="DNS:localhost,IP:127.0.0.1" h
  for h in ${CXR_TLS_HOSTNAMES:-}; do names+=",DNS:$h"; done
  if [[ -s "$d/ca.pem" && -s "$d/temporal-server.pem" && -s "$d/temporal-client.pem" && -s "$d/orthanc-bundle.pem" ]]; then return; fi
  command -v openssl >/dev/null || die "openssl is needed to create the private CA"
  log "creating a private CA and certificates in $d"
  mkdir -p "$d" && chmod 700 "$d"
  (
    cd "$d" && umask 077
    openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 825 -subj "/CN=cxr-pipeline private CA" \
      -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
      -keyout ca.key -out ca.pem 2>/dev/null
    leaf() { # name CN subjectAltName extendedKeyUsage
      openssl req -newkey rsa:2048 -nodes -sha256 -subj "/CN=$2" -keyout "$1.key" -out "$1.csr" 2>/dev/null
      printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nsubjectAltName=%s\nextendedKeyUsage=%s\n' "$3" "$4" >"$1.ext"
      openssl x509 -req -sha256 -days 825 -in "$1.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -extfile "$1.ext" -out "$1.pem" 2>/dev/null
      rm -f "$1.csr" "$1.ext"
    }
    leaf temporal-server temporal "$names,DNS:temporal" serverAuth,clientAuth
    leaf temporal-client cxr-client "DNS:cxr-client" clientAuth
    leaf orthanc orthanc "$names,DNS:orthanc" serverAuth
    cat orthanc.pem orthanc.key >orthanc-bundle.pem
    chmod 644 ca.pem temporal-server.pem temporal-client.pem orthanc.pem
  )
}

# ---- PostgreSQL --------------------------------------------------------------------------------
# PostgreSQL refuses to run as root: as root, it runs as the `postgres` system user (from Debian's package).
# Its folder must then be reachable by that user; if the project's data folder is not (a clone under /root),
# it moves to /var/tmp/cxr-pipeline-pg-<id>, where <id> is made once per data folder and kept in it
# (.data/production/postgres/cluster-id). Not a hash of the path: a wiped data folder or a fresh clone at the same
# path must get a fresh cluster, never the Orthanc index of the one before, whose storage files went with the folder
# (Orthanc then answers 500 for every instance that index still lists).
pg_user() { if [[ $(id -u) -eq 0 ]]; then echo postgres; else id -un; fi; }
as_pg() { if [[ $(id -u) -eq 0 ]]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi; }
pg_dir() {
  if [[ -n "${CXR_PG_DIR:-}" ]]; then echo "$CXR_PG_DIR"; return; fi
  local d="$CXR_DATA_DIR/postgres"
  mkdir -p "$d"
  if [[ $(id -u) -eq 0 ]] && ! runuser -u postgres -- test -x "$d" 2>/dev/null; then
    [[ -s "$d/cluster-id" ]] || od -An -N8 -tx1 /dev/urandom | tr -d ' \n' >"$d/cluster-id"
    d="/var/tmp/cxr-pipeline-pg-$(cat "$d/cluster-id")"
  fi
  echo "$d"
}
pg_ok() { as_pg "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$CXR_PG_PORT"; }
pg_psql() { as_pg "$PG_BIN/psql" -h "$(pg_dir)/run" -p "$CXR_PG_PORT" -U postgres -v ON_ERROR_STOP=1 -qAt "$@"; }

# Clusters in /var/tmp left by an earlier data folder at this path (wiped, or a new clone) are unusable (their
# Orthanc files and generated passwords went with that folder): removed when a new cluster is made, unless running.
pg_remove_orphans() {
  local keep="$1" other legacy
  legacy="/var/tmp/cxr-pipeline-pg-$(printf '%s' "$CXR_DATA_DIR" | sha256sum | cut -c1-12)" # before cluster-id
  printf '%s\n' "$CXR_DATA_DIR" >"$keep/owner"
  for other in /var/tmp/cxr-pipeline-pg-*; do
    [[ -d "$other" && "$other" != "$keep" ]] || continue
    [[ "$other" == "$legacy" || "$(cat "$other/owner" 2>/dev/null)" == "$CXR_DATA_DIR" ]] || continue
    if [[ -f "$other/data/postmaster.pid" ]] && kill -0 "$(head -1 "$other/data/postmaster.pid")" 2>/dev/null; then continue; fi
    log "removing $other (the PostgreSQL cluster of an earlier $CXR_DATA_DIR)"
    rm -rf "$other"
  done
}

start_postgres() {
  [[ -x "$PG_BIN/postgres" ]] || die "PostgreSQL not installed: run scripts/setup (CXR_PROFILE=production) first"
  local dir data
  dir="$(pg_dir)"; data="$dir/data"
  if pid_alive "$RUN_DIR/postgres.pid" "postgres" && pg_ok; then log "PostgreSQL already running (pid $(cat "$RUN_DIR/postgres.pid"))"; return; fi
  mkdir -p "$dir/run"
  [[ $(id -u) -eq 0 ]] && chown -R postgres: "$dir"
  chmod 700 "$dir"
  if [[ ! -s "$data/PG_VERSION" ]]; then
    log "initialising PostgreSQL in $data"
    pg_remove_orphans "$dir"
    # Local socket: trust, but the socket lives in a folder only the PostgreSQL user can enter.
    # TCP (Temporal, Orthanc): password (scram-sha-256) per role.
    as_pg "$PG_BIN/initdb" -D "$data" -U postgres -E UTF8 --no-locale --auth-local=trust --auth-host=scram-sha-256 >/dev/null
  fi
  # A SIGKILLed postmaster leaves a stale pid file and, for a moment, backends still attached to its shared
  # memory: retry until the old generation is gone.
  local tries=0
  until as_pg "$PG_BIN/pg_ctl" -D "$data" -l "$dir/postgres.log" -w -t 60 \
    -o "-p $CXR_PG_PORT -k $dir/run -c listen_addresses=127.0.0.1 -c max_connections=200" start >/dev/null; do
    ((++tries < 10)) || { tail -20 "$dir/postgres.log" >&2; die "PostgreSQL did not start; log: $dir/postgres.log"; }
    sleep 1
  done
  head -1 "$data/postmaster.pid" >"$RUN_DIR/postgres.pid"
  ln -sfn "$dir/postgres.log" "$LOG_DIR/postgres.log"
  log "PostgreSQL is up (127.0.0.1:$CXR_PG_PORT, data $data)"
  pg_setup_roles
}

# Roles and databases (idempotent): temporal owns temporal + temporal_visibility, orthanc owns orthanc.
# Passwords come from ensure_secret and are (re)applied at every start; they go through stdin, not argv.
pg_setup_roles() {
  local role pw db owner
  for role in temporal orthanc; do
    pw="$(ensure_secret "postgres-$role")"
    pg_psql -d postgres <<SQL
SELECT 'CREATE ROLE $role LOGIN' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$role') \gexec
ALTER ROLE $role LOGIN PASSWORD '$pw';
SQL
  done
  for db in temporal:temporal temporal_visibility:temporal orthanc:orthanc; do
    owner="${db#*:}"; db="${db%%:*}"
    pg_psql -d postgres <<SQL
SELECT 'CREATE DATABASE $db OWNER $owner' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '$db') \gexec
SQL
  done
}

stop_postgres() {
  local dir; dir="$(pg_dir)"
  if ! pid_alive "$RUN_DIR/postgres.pid" "postgres"; then log "PostgreSQL not running (by us)"; rm -f "$RUN_DIR/postgres.pid"; return; fi
  as_pg "$PG_BIN/pg_ctl" -D "$dir/data" -m fast -w -t 30 stop >/dev/null || kill -KILL "$(cat "$RUN_DIR/postgres.pid")" 2>/dev/null || true
  rm -f "$RUN_DIR/postgres.pid"
  log "PostgreSQL stopped"
}

# ---- Temporal server ---------------------------------------------------------------------------
# Natively through the cluster's local socket; the Temporal image connects as the temporal role instead.
temporal_schema_query() { pg_psql -d "$1" -c "$2"; }
temporal_schema() { # database versioned-dir
  local db="$1" dir="$2"
  export SQL_PASSWORD; SQL_PASSWORD="$(ensure_secret postgres-temporal)"
  local sql=("$TEMPORAL_SQL_TOOL" --plugin postgres12 --ep "${CXR_PG_HOST:-127.0.0.1}" -p "$CXR_PG_PORT" -u temporal --db "$db")
  if [[ -z "$(temporal_schema_query "$db" "SELECT 1 FROM information_schema.tables WHERE table_name = 'schema_version'")" ]]; then
    "${sql[@]}" setup-schema -v 0.0 >>"$LOG_DIR/temporal-schema.log" 2>&1 || die "schema setup of $db failed; log: $LOG_DIR/temporal-schema.log"
  fi
  # Applies only the versions newer than the recorded one: this is also the upgrade path (docs/deployment.md).
  "${sql[@]}" update-schema -d "$ROOT/.tools/temporal-schema/postgresql/v12/$dir/versioned" >>"$LOG_DIR/temporal-schema.log" 2>&1 ||
    die "schema update of $db failed; log: $LOG_DIR/temporal-schema.log"
  unset SQL_PASSWORD
}

# Where the server's services listen and what they tell each other: loopback natively; the Temporal image
# (docker/temporal/entrypoint.sh) sets TEMPORAL_BIND_IP=0.0.0.0, its own address and the database's host.
TEMPORAL_SERVER_ROOT="${TEMPORAL_SERVER_ROOT:-$CXR_DATA_DIR/temporal-server}"
write_temporal_server_config() {
  local dir="$TEMPORAL_SERVER_ROOT/config" b="$TEMPORAL_INTERNAL_PORT_BASE" pw
  local pg="${CXR_PG_HOST:-127.0.0.1}:$CXR_PG_PORT" bind="bindOnLocalHost: true"
  [[ -z "${TEMPORAL_BIND_IP:-}" ]] || bind="bindOnIP: $TEMPORAL_BIND_IP"
  # Temporal's SQL schema stores membership ports as smallint.
  ((b + 7 < 32768)) || die "TEMPORAL_INTERNAL_PORT_BASE ($b) must leave its 8 ports below 32768"
  mkdir -p "$dir"
  pw="$(ensure_secret postgres-temporal)"
  (umask 077 && cat >"$dir/production.yaml" <<YAML
# Written by scripts/services (production profile) at every start; edit scripts/production.sh instead.
log:
  stdout: true
  level: warn
persistence:
  defaultStore: postgres-default
  visibilityStore: postgres-visibility
  # Fixed for the life of the cluster. 4 suits one small node; see docs/deployment.md before a real cluster.
  numHistoryShards: $TEMPORAL_HISTORY_SHARDS
  datastores:
    postgres-default:
      sql:
        pluginName: postgres12
        databaseName: temporal
        connectAddr: $pg
        connectProtocol: tcp
        user: temporal
        password: "$pw"
        maxConns: 20
        maxIdleConns: 20
        maxConnLifetime: 1h
    postgres-visibility:
      sql:
        pluginName: postgres12
        databaseName: temporal_visibility
        connectAddr: $pg
        connectProtocol: tcp
        user: temporal
        password: "$pw"
        maxConns: 10
        maxIdleConns: 10
        maxConnLifetime: 1h
global:
  membership:
    maxJoinDuration: 30s
    broadcastAddress: ${TEMPORAL_BROADCAST_ADDRESS:-127.0.0.1}
  metrics:
    prometheus:
      framework: tally
      timerType: histogram
      listenAddress: ${TEMPORAL_METRICS_ADDRESS:-127.0.0.1:$TEMPORAL_METRICS_PORT}
  tls:
    frontend:
      server:
        certFile: $CXR_TLS_DIR/temporal-server.pem
        keyFile: $CXR_TLS_DIR/temporal-server.key
        requireClientAuth: true
        clientCaFiles: [$CXR_TLS_DIR/ca.pem]
      client:
        serverName: localhost
        rootCaFiles: [$CXR_TLS_DIR/ca.pem]
    systemWorker:
      certFile: $CXR_TLS_DIR/temporal-server.pem
      keyFile: $CXR_TLS_DIR/temporal-server.key
      client:
        serverName: localhost
        rootCaFiles: [$CXR_TLS_DIR/ca.pem]
services:
  frontend:
    rpc: { grpcPort: $TEMPORAL_PORT, membershipPort: $((b + 0)), httpPort: $((b + 1)), $bind }
  history:
    rpc: { grpcPort: $((b + 2)), membershipPort: $((b + 3)), $bind }
  matching:
    rpc: { grpcPort: $((b + 4)), membershipPort: $((b + 5)), $bind }
  worker:
    rpc: { grpcPort: $((b + 6)), membershipPort: $((b + 7)), $bind }
clusterMetadata:
  enableGlobalNamespace: false
  failoverVersionIncrement: 10
  masterClusterName: active
  currentClusterName: active
  clusterInformation:
    active:
      enabled: true
      initialFailoverVersion: 1
      rpcName: frontend
      rpcAddress: localhost:$TEMPORAL_PORT
dcRedirectionPolicy:
  policy: noop
dynamicConfigClient:
  filepath: $ROOT/docker/temporal/dynamicconfig.yaml
  pollInterval: 10s
YAML
  )
}

tls_temporal() { "$TEMPORAL_BIN" "$@" --address "$TEMPORAL_ADDRESS" --tls-cert-path "$CXR_TLS_DIR/temporal-client.pem" \
  --tls-key-path "$CXR_TLS_DIR/temporal-client.key" --tls-ca-path "$CXR_TLS_DIR/ca.pem"; }
temporal_server_ok() { tls_temporal operator cluster health 2>/dev/null | grep -q SERVING; }

start_temporal_server() {
  if pid_alive "$RUN_DIR/temporal.pid" "temporal-server"; then log "Temporal server already running (pid $(cat "$RUN_DIR/temporal.pid"))"; return; fi
  [[ -x "$TEMPORAL_SERVER_BIN" && -x "$TEMPORAL_SQL_TOOL" ]] || die "Temporal server not found at $TEMPORAL_SERVER_BIN: run CXR_PROFILE=production scripts/setup first"
  ensure_tls
  start_postgres
  temporal_schema temporal temporal
  temporal_schema temporal_visibility visibility
  write_temporal_server_config
  setsid "$TEMPORAL_SERVER_BIN" --root "$TEMPORAL_SERVER_ROOT" --config config --env production --allow-no-auth start \
    >>"$LOG_DIR/temporal.log" 2>&1 </dev/null &
  echo $! >"$RUN_DIR/temporal.pid"
  wait_for "Temporal server (grpc $TEMPORAL_ADDRESS, mTLS)" "$RUN_DIR/temporal.pid" 120 temporal_server_ok ||
    { tail -20 "$LOG_DIR/temporal.log" >&2; die "Temporal server did not start; log: $LOG_DIR/temporal.log"; }
  temporal_namespace_setup
}

# The real server creates no namespace: create ours with its retention, then register the search attributes.
temporal_namespace_setup() {
  local ns="${TEMPORAL_NAMESPACE:-default}" existing a i
  if ! tls_temporal operator namespace describe --namespace "$ns" >/dev/null 2>&1; then
    log "creating namespace $ns (retention $CXR_NAMESPACE_RETENTION)"
    tls_temporal operator namespace create --namespace "$ns" --retention "$CXR_NAMESPACE_RETENTION" >/dev/null
  else
    # As the dev profile: the documented retention at every start (docs/operator-guide.md).
    tls_temporal operator namespace update --namespace "$ns" --retention "$CXR_NAMESPACE_RETENTION" >/dev/null ||
      die "could not set the namespace retention to $CXR_NAMESPACE_RETENTION"
  fi
  for i in $(seq 1 30); do existing="$(tls_temporal operator search-attribute list --namespace "$ns" 2>/dev/null)" && break; sleep 1; done
  for a in "${CXR_SEARCH_ATTRIBUTES[@]}"; do
    grep -qw "${a%%=*}" <<<"$existing" && continue
    tls_temporal operator search-attribute create --namespace "$ns" --name "${a%%=*}" --type "${a#*=}" >/dev/null
  done
}

ui_server_ok() { curl -fsS -o /dev/null "http://127.0.0.1:$TEMPORAL_UI_PORT/"; }

start_temporal_ui() {
  if pid_alive "$RUN_DIR/temporal-ui.pid" "temporal-ui-server"; then log "Temporal UI server already running (pid $(cat "$RUN_DIR/temporal-ui.pid"))"; return; fi
  [[ -x "$TEMPORAL_UI_SERVER_BIN" ]] || die "Temporal UI server not found at $TEMPORAL_UI_SERVER_BIN: run CXR_PROFILE=production scripts/setup first"
  write_temporal_ui_config
  setsid "$TEMPORAL_UI_SERVER_BIN" --root "$TEMPORAL_UI_ROOT" --config config --env production start \
    >>"$LOG_DIR/temporal-ui.log" 2>&1 </dev/null &
  echo $! >"$RUN_DIR/temporal-ui.pid"
  wait_for "Temporal UI server (http://127.0.0.1:$TEMPORAL_UI_PORT)" "$RUN_DIR/temporal-ui.pid" 30 ui_server_ok ||
    { tail -20 "$LOG_DIR/temporal-ui.log" >&2; die "Temporal UI server did not start; log: $LOG_DIR/temporal-ui.log"; }
}

# The UI server's configuration; the Temporal image (docker/temporal/entrypoint.sh) writes the same file with
# its own listen address, the frontend's service name and the certificate name it checks.
TEMPORAL_UI_ROOT="${TEMPORAL_UI_ROOT:-$CXR_DATA_DIR/temporal-ui}"
write_temporal_ui_config() {
  local dir="$TEMPORAL_UI_ROOT/config"
  mkdir -p "$dir"
  cat >"$dir/production.yaml" <<YAML
# Written by scripts/services (production profile); edit scripts/production.sh instead.
temporalGrpcAddress: ${TEMPORAL_UI_GRPC_ADDRESS:-127.0.0.1:$TEMPORAL_PORT}
host: ${TEMPORAL_UI_HOST:-127.0.0.1}
port: $TEMPORAL_UI_PORT
enableUi: true
defaultNamespace: ${TEMPORAL_NAMESPACE:-default}
notifyOnNewVersion: false
cors:
  cookieInsecure: true
tls:
  caFile: $CXR_TLS_DIR/ca.pem
  certFile: $CXR_TLS_DIR/temporal-client.pem
  keyFile: $CXR_TLS_DIR/temporal-client.key
  serverName: ${TEMPORAL_UI_TLS_SERVER_NAME:-localhost}
  enableHostVerification: true
YAML
}
