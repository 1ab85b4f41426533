#!/bin/bash
# The whole Minneapolis file replayed with histories and dispositions into a private demo stack
# (tools/importer/README.md "Replay speed"): starts the stack, runs the import, stops the stack,
# prints each phase's rate. Nothing else should run on the machine meanwhile.
# usage: bench/replay/whole-file.sh LABEL [extra import args]   (logs in $OUT_DIR, default /tmp/cad110-replay)
# CPU per process meanwhile: python3 bench/replay/cpu-sample.py /tmp/cpu.txt 5 &   (kill it after)
cd "$(dirname "$0")/../.."
export PATH="$(node tools/devstack/bin/run.cjs runtime-path):$PATH"
LABEL=$1; shift
mkdir -p "${OUT_DIR:-/tmp/cad110-replay}"
OUT=${OUT_DIR:-/tmp/cad110-replay}/import-$LABEL.log
export CAD110_KAFKA_PORT=49092 CAD110_DB_PREFIX=mi_ CAD110_PORT_BASE=44000 BUREAU_TIME_ZONE=America/Chicago
setsid node tools/devstack/bin/run.cjs demo --mapping minneapolis-mpd --limit 1 > ${OUT_DIR:-/tmp/cad110-replay}/demo-$LABEL.log 2>&1 &
DEMO=$!
for i in $(seq 1 300); do grep -q "serving; press" ${OUT_DIR:-/tmp/cad110-replay}/demo-$LABEL.log && break; sleep 1; done
grep -q "serving; press" ${OUT_DIR:-/tmp/cad110-replay}/demo-$LABEL.log || { echo "demo did not start"; tail -20 ${OUT_DIR:-/tmp/cad110-replay}/demo-$LABEL.log; kill -INT -- -$DEMO; exit 1; }
date -u > $OUT
npm run import -- --mapping minneapolis-mpd --file ../shared/data/calls/minneapolis-mpd-911-cad.csv --with-dispatch-history --with-dispositions --allow-rejected "$@" >> $OUT 2>&1
echo "import rc=$?" >> $OUT
date -u >> $OUT
kill -INT -- -$DEMO; sleep 8; kill -9 -- -$DEMO 2>/dev/null
# the next run's broker needs the port and the data directory: wait until this one has gone
for i in $(seq 1 60); do (exec 3<>/dev/tcp/127.0.0.1/$CAD110_KAFKA_PORT) 2>/dev/null || break; sleep 1; done
grep "phase" $OUT
