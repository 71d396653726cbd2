#!/usr/bin/env bash
# End-to-end test of the SLURM scripts on a single-node SLURM on this machine (Debian/Ubuntu,
# root): installs slurm-wlm and munge, starts munged, slurmctld and slurmd for localhost,
# submits a 4-task array of a --quick study with submit.sh, waits for the merge job, and
# compares the merged CSV files with an unsharded run byte for byte.
#
#   sudo examples/slurm/local-test.sh [CONFIG.toml]      (default configs/retrieval.toml)
#
# Run from the repository root after `cargo build --release`. Leaves the daemons running
# (stop them with: pkill slurmd; pkill slurmctld; pkill munged).
set -euo pipefail
CONFIG=${1:-configs/retrieval.toml}
ROOT=$(pwd)
ENGRAM=$ROOT/target/release/engram
[ -x "$ENGRAM" ] || { echo "build first: cargo build --release" >&2; exit 2; }
if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurm-wlm munge
fi
HOST=$(hostname -s)
CPUS=$(nproc)
CONF_DIR=/etc/slurm
mkdir -p "$CONF_DIR" /var/spool/slurmd /var/spool/slurmctld /var/log/slurm /run/munge /etc/munge
cat > "$CONF_DIR/slurm.conf" <<CONF
ClusterName=engram-local
SlurmctldHost=$HOST
SlurmUser=root
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
MpiDefault=none
JobCompType=jobcomp/none
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
SlurmdSpoolDir=/var/spool/slurmd
StateSaveLocation=/var/spool/slurmctld
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
NodeName=$HOST NodeAddr=127.0.0.1 CPUs=$CPUS State=UNKNOWN
PartitionName=local Nodes=$HOST Default=YES MaxTime=INFINITE State=UP
CONF
[ -s /etc/munge/munge.key ] || { dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key 2>/dev/null; }
chown -R munge:munge /etc/munge /run/munge 2>/dev/null || true
chmod 400 /etc/munge/munge.key
pgrep -x munged >/dev/null || su -s /bin/sh munge -c munged 2>/dev/null || munged --force
pgrep -x slurmctld >/dev/null || slurmctld
pgrep -x slurmd >/dev/null || slurmd
for _ in $(seq 30); do
    sinfo -h -o %T 2>/dev/null | grep -Eq 'idle|mixed|allocated' && break
    sleep 1
done
sinfo
WORK=$(mktemp -d /tmp/engram-slurm.XXXX)
cd "$WORK"
STUDY=$(sed -n '/^\[study\]/,/^\[/{s/^name *= *"\(.*\)".*/\1/p}' "$ROOT/$CONFIG" | head -1)
# the sharded run: 4 array tasks, then the merge job
OUT_LINE=$(ENGRAM=$ENGRAM "$ROOT/examples/slurm/submit.sh" "$ROOT/$CONFIG" "$WORK/sharded" 4 --quick)
echo "$OUT_LINE"
MERGE=$(echo "$OUT_LINE" | sed -n 's/.*merge job \([0-9]*\).*/\1/p')
for _ in $(seq 600); do
    squeue -h -j "$MERGE" 2>/dev/null | grep -q . || break
    sleep 1
done
cat engram-*.log
# the unsharded reference
"$ENGRAM" run "$ROOT/$CONFIG" --out "$WORK/whole" --quick >/dev/null
status=0
for f in "$WORK/whole/$STUDY"/*.csv; do
    name=$(basename "$f")
    if cmp "$f" "$WORK/sharded/$STUDY/$name"; then
        echo "identical: $name ($(wc -c < "$f") bytes)"
    else
        echo "DIFFERENT: $name"; status=1
    fi
done
ls "$WORK/sharded/$STUDY"/shard-*.done
exit $status
