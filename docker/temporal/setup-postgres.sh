#!/bin/sh
# One-shot schema setup for the Temporal server's PostgreSQL databases (run by the
# "temporal-schema" service in docker-compose.yml, image temporalio/admin-tools; the native production
# profile does the same with the same tool in scripts/production.sh, temporal_schema).
# Idempotent: on a fresh volume it creates both databases and the base schema; on later runs
# `create` fails because the database exists, and only `update-schema` runs, which applies the
# migrations newer than the recorded schema version (so pinning a newer server image upgrades).
# UNVERIFIED: written without a Docker daemon; the commands follow Temporal's own compose
# samples (temporalio/samples-server compose/scripts/setup-postgres.sh).
set -eu

: "${POSTGRES_SEEDS:?POSTGRES_SEEDS is required}"
: "${POSTGRES_USER:?POSTGRES_USER is required}"
: "${POSTGRES_PWD:?POSTGRES_PWD is required}"
DB_PORT="${DB_PORT:-5432}"
SCHEMA_DIR=/etc/temporal/schema/postgresql/v12

# temporal-sql-tool reads the password from SQL_PASSWORD (keeps it out of the process list).
export SQL_PASSWORD="$POSTGRES_PWD"
sql() { temporal-sql-tool --plugin postgres12 --ep "$POSTGRES_SEEDS" -p "$DB_PORT" -u "$POSTGRES_USER" "$@"; }

echo "waiting for PostgreSQL at $POSTGRES_SEEDS:$DB_PORT"
i=0
until nc -z -w 5 "$POSTGRES_SEEDS" "$DB_PORT"; do
  i=$((i + 1)); [ "$i" -lt 60 ] || { echo "PostgreSQL not reachable" >&2; exit 1; }
  sleep 2
done

for pair in temporal:temporal temporal_visibility:visibility; do
  db="${pair%%:*}"; dir="${pair#*:}"
  if sql --db "$db" create; then
    echo "created database $db; installing base schema"
    sql --db "$db" setup-schema -v 0.0
  else
    echo "database $db exists (or could not be created); updating its schema only"
  fi
  sql --db "$db" update-schema -d "$SCHEMA_DIR/$dir/versioned"
done
echo "Temporal PostgreSQL schema is up to date"
