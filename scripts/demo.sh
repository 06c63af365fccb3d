#!/usr/bin/env bash
# The multi-instance demo: one local etcd and three instances of the sample application on ports
# 8081, 8082 and 8083. It prints each instance's role whenever one changes: stop the leader
# (its pid is printed) and watch another take over. Ctrl+C stops everything it started.
#
# Needs JDK 17+ and an etcd binary on PATH (Debian/Ubuntu: apt-get install etcd-server etcd-client;
# macOS: brew install etcd). ETCD_PORT (default 23790) chooses etcd's client port, the peer port is
# the next one; ports 8081-8083 must be free. Works with bash 3.2 (macOS) and later.
set -euo pipefail
cd "$(dirname "$0")/.."

fail() {
  echo "$*" >&2
  exit 1
}

command -v java >/dev/null 2>&1 || fail "java is not on PATH: install JDK 17 or later."
command -v etcd >/dev/null 2>&1 || fail "etcd is not on PATH. Install it (Debian/Ubuntu: apt-get install etcd-server etcd-client; macOS: brew install etcd)."
ETCD_PORT=${ETCD_PORT:-23790}
ENDPOINT=http://127.0.0.1:${ETCD_PORT}
PORTS="8081 8082 8083"
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
INSTANCE_PIDS=""

stop() {
  trap - INT TERM HUP EXIT
  echo
  echo "Stopping the instances, then etcd..."
  # the instances first, while etcd still answers: they deregister, resign and revoke their session
  for pid in $INSTANCE_PIDS; do kill -TERM "$pid" 2>/dev/null || true; done
  for _ in $(seq 1 100); do
    running=""
    for pid in $INSTANCE_PIDS; do kill -0 "$pid" 2>/dev/null && running=yes; done
    [ -z "$running" ] && break
    sleep 0.1
  done
  for pid in $INSTANCE_PIDS; do kill -KILL "$pid" 2>/dev/null || true; done
  if [ -n "$ETCD_PID" ]; then
    kill -TERM "$ETCD_PID" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$ETCD_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$ETCD_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
  echo "Stopped; nothing left running."
}
trap stop EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

echo "Building the sample application..."
./mvnw -q -pl sample-app -am -DskipTests package
JAR=$(ls sample-app/target/sample-app-*.jar | grep -v original | head -1)

etcd --name demo --data-dir "$WORK/etcd" \
  --listen-client-urls "$ENDPOINT" --advertise-client-urls "$ENDPOINT" \
  --listen-peer-urls "http://127.0.0.1:$((ETCD_PORT + 1))" \
  --initial-advertise-peer-urls "http://127.0.0.1:$((ETCD_PORT + 1))" \
  --initial-cluster "demo=http://127.0.0.1:$((ETCD_PORT + 1))" > "$WORK/etcd.log" 2>&1 &
ETCD_PID=$!
for _ in $(seq 1 100); do
  kill -0 "$ETCD_PID" 2>/dev/null || { tail -5 "$WORK/etcd.log" >&2; fail "etcd did not start (log above)."; }
  curl -fs --max-time 1 "$ENDPOINT/health" >/dev/null 2>&1 && break
  sleep 0.1
done
curl -fs --max-time 1 "$ENDPOINT/health" >/dev/null 2>&1 || fail "etcd does not answer at $ENDPOINT; see $WORK/etcd.log"
echo "etcd runs at $ENDPOINT (pid $ETCD_PID)"

for port in $PORTS; do
  java -jar "$JAR" --server.port="$port" --coordination.etcd.endpoints="$ENDPOINT" \
    --coordination.etcd.session.ttl=3s --coordination.etcd.session.safety-margin=1s \
    --coordination.etcd.instance.id="sample-$port" > "$WORK/instance-$port.log" 2>&1 &
  INSTANCE_PIDS="$INSTANCE_PIDS $!"
done
echo "Starting three instances (logs in $WORK/instance-<port>.log)..."
set -- $INSTANCE_PIDS
for port in $PORTS; do
  pid=$1
  shift
  for _ in $(seq 1 240); do
    kill -0 "$pid" 2>/dev/null || { tail -20 "$WORK/instance-$port.log" >&2; fail "The instance on port $port stopped (log above)."; }
    curl -fs --max-time 1 "http://127.0.0.1:$port/" 2>/dev/null | grep -q "I am sample-app on port $port" && break
    sleep 0.5
  done
  echo "  instance on port $port: pid $pid"
done

cat <<HELP

Try, in another terminal:
  curl localhost:8081/                       # who leads
  curl localhost:8082/peers                  # the instances of the service, from discovery
  curl localhost:8083/peer                   # call an instance by service id (@LoadBalanced RestClient)
  curl -X POST localhost:8081/orders/42      # @DistributedLocked, with its fencing token
  curl localhost:8081/greeting               # configuration and a feature flag from etcd
  ETCDCTL_API=3 etcdctl --endpoints=$ENDPOINT put /config/sample-app/sample/greeting/message 'Hi there'
  ETCDCTL_API=3 etcdctl --endpoints=$ENDPOINT put /flags/shout true
  curl localhost:8081/actuator/coordination  # session, elections, locks, discovery, configuration
  curl localhost:8081/actuator/health/coordination
  kill <pid of the leader>                   # and watch another take over below (kill -9: within the 3 s TTL)

Roles (printed when they change; Ctrl+C stops everything):
HELP

last=""
while true; do
  now=""
  for port in $PORTS; do
    role=$(curl -fs --max-time 1 "http://127.0.0.1:$port/" 2>/dev/null || echo "I am not running.")
    now="$now  $port: $role
"
  done
  if [ "$now" != "$last" ]; then
    date +%T
    printf '%s' "$now"
    last=$now
  fi
  sleep 0.5
done
