# The compose profile of scripts/services (CXR_PROFILE=compose): the stack of docker-compose.yml, driven with
# `docker compose` (or docker-compose 1.29 where the plugin is missing). Sourced after lib.sh.
#   start: scripts/docker/init (secrets, certificates, .env, base images), `up -d --build` (layer cache: only what
#          changed is rebuilt), then waits until every service is healthy and temporal-init has exited 0
#   stop:  `down` (containers and networks go; the named volumes, i.e. the data, stay)
compose() {
  if docker compose version >/dev/null 2>&1; then docker compose --project-directory "$ROOT" -f "$ROOT/docker-compose.yml" "$@"
  else docker-compose --project-directory "$ROOT" -f "$ROOT/docker-compose.yml" "$@"; fi
}

# compose_wait SECONDS: every container of the project healthy (or running, without a health check), one-shot jobs exited 0.
compose_wait() {
  local deadline=$((SECONDS + ${1:-300})) ids id state bad
  while :; do
    bad=""
    ids="$(compose ps -a -q 2>/dev/null)"
    [[ -n "$ids" ]] || bad="no containers"
    for id in $ids; do
      state="$(docker inspect -f '{{index .Config.Labels "com.docker.compose.service"}} {{.State.Status}} {{.State.ExitCode}} {{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}' "$id")"
      read -r svc status code health <<<"$state"
      case "$status:$health" in
        running:healthy | running:none) ;;
        exited:*) [[ "$code" == 0 && "$svc" == temporal-init ]] || { compose logs --tail 30 "$svc" >&2; die "$svc exited with code $code"; } ;;
        *) bad+=" $svc($status/$health)" ;;
      esac
    done
    [[ -z "$bad" ]] && return 0
    ((SECONDS < deadline)) || { compose ps >&2; die "compose stack not healthy after ${1:-300} s:$bad"; }
    sleep 1
  done
}

compose_start() {
  local t0=$SECONDS
  "$ROOT/scripts/docker/init" >&2
  compose up -d --build --remove-orphans >&2
  compose_wait "${CXR_COMPOSE_WAIT_S:-300}"
  log "compose stack up in $((SECONDS - t0)) s. Temporal Web UI: http://127.0.0.1:$TEMPORAL_UI_PORT   Orthanc: $ORTHANC_URL/app/explorer.html (user $ORTHANC_USERNAME)"
}

compose_status() {
  local ids; ids="$(compose ps -q 2>/dev/null)"
  [[ -n "$ids" ]] || { echo "compose stack: stopped"; return 1; }
  compose ps
  compose_wait 1 >/dev/null 2>&1 || { echo "compose stack: NOT healthy"; return 1; }
  echo "compose stack: running, healthy"
}
