#!/usr/bin/env bash
# The multi-instance demo: one local etcd and three instances of the sample application on ports
# 8081, 8082 and 8083. It prints each instance's role whenever one changes: stop the leader
# (its pid is printed) and watch another take over. Ctrl+C stops everything it started.
#
# Needs JDK 17+ and an etcd binary on PATH (Debian/Ubuntu: apt-get install etcd-server etcd-client).
# ETCD_PORT (default 23790) chooses etcd's client port; ports 8081-8083 must be free.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v etcd >/dev/null 2>&1; then
  echo "etcd is not on PATH. Install it (Debian/Ubuntu: apt-get install etcd-server etcd-client; macOS: brew install etcd)." >&2
  exit 1
fi
ETCD_PORT=${ETCD_PORT:-23790}
ENDPOINT=http://127.0.0.1:${ETCD_PORT}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/coordination-demo.XXXXXX")
PIDS=()

stop() {
  trap - INT TERM EXIT
  echo
  echo "Stopping the instances and etcd..."
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$WORK"
  echo "Stopped; nothing left running."
}
trap stop EXIT
trap "exit 130" INT
trap "exit 143" TERM

echo "Building the sample application..."
./mvnw -q -pl sample-app -am -DskipTests package
JAR=$(ls sample-app/target/sample-app-*.jar | grep -v original | head -1)

etcd --name demo --data-dir "$WORK/etcd" \
  --listen-client-urls "$ENDPOINT" --advertise-client-urls "$ENDPOINT" \
  --listen-peer-urls "http://127.0.0.1:$((ETCD_PORT + 1))" \
  --initial-advertise-peer-urls "http://127.0.0.1:$((ETCD_PORT + 1))" \
  --initial-cluster "demo=http://127.0.0.1:$((ETCD_PORT + 1))" > "$WORK/etcd.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 50); do
  if ETCDCTL_API=3 etcdctl --endpoints="$ENDPOINT" endpoint health >/dev/null 2>&1 || curl -fs "$ENDPOINT/health" >/dev/null 2>&1; then break; fi
  sleep 0.2
done
echo "etcd runs at $ENDPOINT (pid ${PIDS[0]}, log $WORK/etcd.log)"

declare -A PID_OF
for port in 8081 8082 8083; do
  java -jar "$JAR" --server.port="$port" --coordination.etcd.endpoints="$ENDPOINT" \
    --coordination.etcd.session.ttl=3s --coordination.etcd.session.safety-margin=1s \
    --coordination.etcd.election.instance-id="sample-$port" > "$WORK/instance-$port.log" 2>&1 &
  PIDS+=($!)
  PID_OF[$port]=$!
done
echo "Starting three instances (logs in $WORK/instance-<port>.log)..."
for port in 8081 8082 8083; do
  for _ in $(seq 1 120); do
    curl -fs "http://127.0.0.1:$port/" >/dev/null 2>&1 && break
    sleep 0.5
  done
  echo "  instance on port $port: pid ${PID_OF[$port]}"
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
  kill <pid of the leader>                   # and watch another take over below

Roles (printed when they change; Ctrl+C stops everything):
HELP

last=""
while true; do
  now=""
  for port in 8081 8082 8083; do
    role=$(curl -fs --max-time 1 "http://127.0.0.1:$port/" 2>/dev/null || echo "I am not running.")
    now+="  $port: $role"$'\n'
  done
  if [ "$now" != "$last" ]; then
    echo "$(date +%T)"
    printf '%s' "$now"
    last=$now
  fi
  sleep 0.5
done
