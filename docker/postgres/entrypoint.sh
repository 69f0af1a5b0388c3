#!/usr/bin/env bash
# The compose stack's PostgreSQL: initdb on first start (the flags of scripts/production.sh), the roles and
# databases of pg_setup_roles (same function, passwords from /run/secrets) on a socket-only server, then the server
# itself as the container's main process, listening on the stack's networks (password logins only).
set -euo pipefail
export CXR_PROFILE=production CXR_DATA_DIR=/tmp/cxr CXR_SECRETS_DIR=/run/secrets ORTHANC_PASSWORD=unused
source /cxr/scripts/lib.sh
source /cxr/scripts/production.sh
data="$PGDATA"
if [[ ! -s "$data/PG_VERSION" ]]; then
  log "initialising PostgreSQL in $data"
  initdb -D "$data" -U postgres -E UTF8 --no-locale --auth-local=trust --auth-host=scram-sha-256 >/dev/null
  # Other containers of the stack's own networks, by password; nothing else is published.
  echo 'host all all samenet scram-sha-256' >>"$data/pg_hba.conf"
fi
pg_psql() { psql -h /tmp -p 5432 -U postgres -v ON_ERROR_STOP=1 -qAt "$@"; }
pg_ctl -D "$data" -o "-c listen_addresses='' -k /tmp" -w -t 60 start >/dev/null
pg_setup_roles
pg_ctl -D "$data" -m fast -w stop >/dev/null
log "PostgreSQL roles ready; starting"
exec postgres -D "$data" -k /tmp -c listen_addresses='*' -c max_connections=200
