#!/usr/bin/env bash
# The multi-instance demo: one local etcd and three instances of the sample application on ports
# 8081, 8082 and 8083, with a live table of their roles and of the invoices shards each owns. Stop
# or kill the leader and watch another take over and its shards move to the others; start it again
# and watch it rejoin as a follower and take its share back. Ctrl+C stops everything, keeps the logs.
#
#   scripts/demo.sh                 build the sample, start etcd and the instances, show the roles
#   scripts/demo.sh stop <port>     (another terminal) stop an instance gracefully: it resigns at once
#   scripts/demo.sh kill <port>     kill -9 an instance: the others take over within the 3 s TTL
#   scripts/demo.sh start <port>    start a stopped instance again: it rejoins the running demo
#   scripts/demo.sh --help
#
# Needs JDK 17+, curl and an etcd binary on PATH (Debian/Ubuntu: apt-get install etcd-server
# etcd-client; macOS: brew install etcd). ETCD_PORT (default 23790) chooses etcd's client port, the
# peer port is the next one; ports 8081-8083 must be free. Works with bash 3.2 (macOS) and later.
set -euo pipefail
cd "$(dirname "$0")/.."

fail() {
  echo "$*" >&2
  exit 1
}

usage() {
  sed -n '2,16s/^# \{0,1\}//p' "$0"
}

ETCD_PORT=${ETCD_PORT:-23790}
ENDPOINT=http://127.0.0.1:${ETCD_PORT}
PORTS="8081 8082 8083"
# where a running demo is, for the commands of another terminal
STATE="${TMPDIR:-/tmp}/coordination-demo-$ETCD_PORT.dir"

pid_of() {
  cat "$WORK/instance-$1.pid" 2>/dev/null || true
}

running() {
  [ -n "$1" ] && kill -0 "$1" 2>/dev/null
}

# Starts the instance on a port in the background, appending to its log. disown: bash then never
# prints a "Killed ..." job line when it dies.
start_instance() {
  local port=$1
  echo "=== started $(date '+%F %T')" >> "$WORK/instance-$port.log"
  java -jar "$WORK/sample-app.jar" --server.port="$port" --coordination.etcd.endpoints="$ENDPOINT" \
    --coordination.etcd.session.ttl=3s --coordination.etcd.session.safety-margin=1s \
    --coordination.etcd.instance.id="sample-$port" >> "$WORK/instance-$port.log" 2>&1 < /dev/null &
  local pid=$!
  disown "$pid" 2>/dev/null || true
  echo "$pid" > "$WORK/instance-$port.pid"
}

# The commands for a running demo, from another terminal.
control() {
  local command=$1 port=${2:-}
  case " $PORTS " in
    *" $port "*) ;;
    *) fail "Usage: scripts/demo.sh $command <port>, with a port of the demo: $PORTS" ;;
  esac
  [ -f "$STATE" ] || fail "No demo runs with ETCD_PORT=$ETCD_PORT: start it with scripts/demo.sh first."
  WORK=$(cat "$STATE")
  running "$(cat "$WORK/demo.pid" 2>/dev/null || true)" \
    || fail "The demo of $WORK is not running any more: start it with scripts/demo.sh."
  local pid
  pid=$(pid_of "$port")
  case $command in
    start)
      running "$pid" && fail "The instance on port $port runs already (pid $pid)."
      start_instance "$port"
      echo "Starting the instance on port $port (pid $(pid_of "$port"), log $WORK/instance-$port.log)."
      ;;
    stop | kill)
      running "$pid" || fail "The instance on port $port is not running (start it: scripts/demo.sh start $port)."
      if [ "$command" = kill ]; then
        kill -KILL "$pid"
        echo "Killed the instance on port $port (pid $pid): its leadership, locks, shards and registration end with its session, within the 3 s TTL."
      else
        kill -TERM "$pid"
        for _ in $(seq 1 100); do running "$pid" || break; sleep 0.1; done
        echo "Stopped the instance on port $port (pid $pid): it resigned, gave its shards up and deregistered on its way out."
      fi
      ;;
  esac
}

case ${1:-} in
  -h | --help | help)
    usage
    exit 0
    ;;
  start | stop | kill)
    control "$@"
    exit 0
    ;;
  "") ;;
  *)
    usage >&2
    exit 2
    ;;
esac

command -v java >/dev/null 2>&1 || fail "java is not on PATH: install JDK 17 or later."
command -v curl >/dev/null 2>&1 || fail "curl is not on PATH."
command -v etcd >/dev/null 2>&1 || fail "etcd is not on PATH. Install it (Debian/Ubuntu: apt-get install etcd-server etcd-client; macOS: brew install etcd)."
if curl -fs --max-time 1 "$ENDPOINT/health" >/dev/null 2>&1; then
  fail "Something already answers at $ENDPOINT (an etcd of an earlier demo?): stop it, or choose another ETCD_PORT."
fi
for port in $PORTS; do
  if curl -s --max-time 1 "http://127.0.0.1:$port/" >/dev/null 2>&1; then
    fail "Port $port is taken: stop what runs there first."
  fi
done

WORK=$(mktemp -d "${TMPDIR:-/tmp}/coordination-demo.XXXXXX")
ETCD_PID=""
echo $$ > "$WORK/demo.pid"
echo "$WORK" > "$STATE"

stop() {
  trap - INT TERM HUP EXIT
  echo
  echo "Stopping the instances, then etcd..."
  rm -f "$STATE"
  # the instances first, while etcd still answers: they deregister, resign and revoke their session
  local pids="" pid port
  for port in $PORTS; do
    pid=$(pid_of "$port")
    running "$pid" && pids="$pids $pid"
  done
  for pid in $pids; do kill -TERM "$pid" 2>/dev/null || true; done
  for _ in $(seq 1 100); do
    local alive=""
    for pid in $pids; do running "$pid" && alive=yes; done
    [ -z "$alive" ] && break
    sleep 0.1
  done
  for pid in $pids; do kill -KILL "$pid" 2>/dev/null || true; done
  if [ -n "$ETCD_PID" ]; then
    kill -TERM "$ETCD_PID" 2>/dev/null || true
    for _ in $(seq 1 50); do running "$ETCD_PID" || break; sleep 0.1; done
    kill -KILL "$ETCD_PID" 2>/dev/null || true
    wait "$ETCD_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK/etcd" "$WORK/sample-app.jar" "$WORK"/*.pid
  echo "Stopped; nothing left running. Logs kept in $WORK:"
  ls "$WORK" | sed 's/^/  /'
}
trap stop EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

echo "Building the sample application..."
./mvnw -q -pl sample-app -am -DskipTests package
JAR=$(ls sample-app/target/sample-app-*.jar | grep -v original | head -1)
# a copy: a rebuild while the demo runs does not change the instances started again
cp "$JAR" "$WORK/sample-app.jar"

etcd --name demo --data-dir "$WORK/etcd" \
  --listen-client-urls "$ENDPOINT" --advertise-client-urls "$ENDPOINT" \
  --listen-peer-urls "http://127.0.0.1:$((ETCD_PORT + 1))" \
  --initial-advertise-peer-urls "http://127.0.0.1:$((ETCD_PORT + 1))" \
  --initial-cluster "demo=http://127.0.0.1:$((ETCD_PORT + 1))" > "$WORK/etcd.log" 2>&1 < /dev/null &
ETCD_PID=$!
disown "$ETCD_PID" 2>/dev/null || true
for _ in $(seq 1 100); do
  running "$ETCD_PID" || { tail -5 "$WORK/etcd.log" >&2; fail "etcd did not start (log above)."; }
  curl -fs --max-time 1 "$ENDPOINT/health" >/dev/null 2>&1 && break
  sleep 0.1
done
curl -fs --max-time 1 "$ENDPOINT/health" >/dev/null 2>&1 || fail "etcd does not answer at $ENDPOINT; see $WORK/etcd.log"
echo "etcd runs at $ENDPOINT (pid $ETCD_PID)"

for port in $PORTS; do
  start_instance "$port"
done
echo "Starting three instances (logs: $WORK/instance-<port>.log)..."
for port in $PORTS; do
  pid=$(pid_of "$port")
  for _ in $(seq 1 240); do
    running "$pid" || { tail -20 "$WORK/instance-$port.log" >&2; fail "The instance on port $port stopped (log above)."; }
    curl -fs --max-time 1 "http://127.0.0.1:$port/" 2>/dev/null | grep -q "I am sample-app on port $port" && break
    sleep 0.5
  done
  echo "  instance on port $port: pid $pid"
done

cat <<HELP

Try, in another terminal:
  curl localhost:8081/                       # who leads, and the invoices shards this instance owns
  curl localhost:8082/peers                  # the instances of the service, from discovery
  curl localhost:8083/peer                   # call an instance by service id (@LoadBalanced RestClient)
  curl -X POST localhost:8081/orders/42      # @DistributedLocked, with its fencing token
  curl localhost:8081/greeting               # configuration and a feature flag from etcd
  ETCDCTL_API=3 etcdctl --endpoints=$ENDPOINT put /config/sample-app/sample/greeting/message 'Hi there'
  ETCDCTL_API=3 etcdctl --endpoints=$ENDPOINT put /flags/shout true
  curl localhost:8081/actuator/coordination  # session, elections, locks, discovery, configuration
  curl localhost:8081/actuator/health/coordination
  scripts/demo.sh stop 8082                  # stop an instance (the leader hands over at once, its shards move)
  scripts/demo.sh kill 8082                  # kill -9 it (another takes over, and its shards move, within the 3 s TTL)
  scripts/demo.sh start 8082                 # start it again: it rejoins as a follower and takes its share of shards

Logs: $WORK/instance-<port>.log (kept after the demo ends).
HELP

# One line per instance: its role and the invoices shards it owns, from GET / ("I am sample-app on
# port 8081. I am the leader (fencing token 2). I own 3 of the 8 invoices shards: 0, 3, 6.").
role_of() {
  local port=$1 pid answer role shards
  pid=$(pid_of "$port")
  if ! running "$pid"; then
    echo "stopped (scripts/demo.sh start $port)"
  elif ! answer=$(curl -fs --max-time 1 "http://127.0.0.1:$port/" 2>/dev/null); then
    echo "starting (pid $pid)"
  else
    role=$(printf '%s\n' "$answer" | sed -e 's/^I am sample-app on port [0-9]*\. //' -e 's/ I own .*//' -e 's/^I am //')
    shards=$(printf '%s\n' "$answer" | sed -n -e 's/.* I own none of .*/none/p' \
      -e 's/.* I own [0-9]* of the [0-9]* [a-z]* shards: \(.*\)\.$/\1/p')
    printf '%-48s  shards: %s\n' "$role" "$shards"
  fi
}

if [ -t 1 ]; then
  LIVE=yes
  echo
  echo "Roles and invoices shards, live (Ctrl+C stops everything):"
else
  LIVE=""
  echo
  echo "Roles and invoices shards (printed when they change; Ctrl+C stops everything):"
fi
LINES_SHOWN=0
last=""
# the roles shown, and since when, as "port=..." lines (bash 3.2 has no associative arrays)
SINCE=""
while true; do
  now=""
  table=""
  time=$(date +%T)
  for port in $PORTS; do
    role=$(role_of "$port" | tr -d '\n')
    previous=$(printf '%s\n' "$last" | sed -n "s/^$port=//p")
    if [ "$role" != "$previous" ]; then
      SINCE=$(printf '%s\n' "$SINCE" | grep -v "^$port=" || true)
      SINCE="$SINCE
$port=$time"
    fi
    since=$(printf '%s\n' "$SINCE" | sed -n "s/^$port=//p")
    now="$now$port=$role
"
    table="$table  $port  since $since  $role
"
  done
  if [ -n "$LIVE" ] && [ "$now" != "$last" ]; then
    # redraw the table in place
    columns=$(tput cols 2>/dev/null || echo 120)
    [ "$LINES_SHOWN" -gt 0 ] && printf '\033[%dA' "$LINES_SHOWN"
    printf '%s\n' "$table" | sed '$d' | while IFS= read -r line; do
      printf '%.*s\033[K\n' "$columns" "$line"
    done
    LINES_SHOWN=$(printf '%s' "$table" | wc -l | tr -d ' ')
  elif [ -z "$LIVE" ] && [ "$now" != "$last" ]; then
    echo "$time"
    printf '%s' "$table"
  fi
  last=$now
  sleep 0.5
done
