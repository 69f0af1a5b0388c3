#!/bin/sh
# First start of the compose PostgreSQL (docker-entrypoint-initdb.d): the roles of the native production
# profile (scripts/production.sh, pg_setup_roles). temporal may create its databases: the temporal-schema job
# creates temporal + temporal_visibility and installs their schema the first time. orthanc gets its database here.
# UNVERIFIED: written without a Docker daemon.
set -eu
psql -v ON_ERROR_STOP=1 --username postgres --dbname postgres <<SQL
CREATE ROLE temporal LOGIN CREATEDB PASSWORD '${TEMPORAL_DB_PASSWORD}';
CREATE ROLE orthanc LOGIN PASSWORD '${ORTHANC_DB_PASSWORD}';
CREATE DATABASE orthanc OWNER orthanc;
SQL
