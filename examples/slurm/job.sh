#!/usr/bin/env bash
# One task of a SLURM array job: runs the shard of a study that belongs to this task.
#
#   sbatch --array=0-7 examples/slurm/job.sh CONFIG.toml [OUT] [extra engram run options]
#
# Every task writes into OUT/<study>/ (a shared filesystem); `engram merge OUT/<study>` (see
# submit.sh) assembles the CSV files, figures and manifest once all tasks are done. 0- and
# 1-based arrays both work (--shard slurm reads SLURM_ARRAY_TASK_ID/MIN/MAX/COUNT). A task that
# failed can be resubmitted with the same array index: --resume reuses its finished points.
#SBATCH --job-name=engram
#SBATCH --cpus-per-task=2
#SBATCH --output=engram-%A_%a.log
set -euo pipefail
CONFIG=${1:?usage: job.sh CONFIG.toml [OUT] [extra engram run options]}
OUT=${2:-results}
shift $(( $# >= 2 ? 2 : 1 ))
ENGRAM=${ENGRAM:-target/release/engram}
# one rayon thread per allocated CPU (the default would be every core of the node)
export RAYON_NUM_THREADS=${SLURM_CPUS_PER_TASK:-1}
echo "task ${SLURM_ARRAY_TASK_ID:-?} of job ${SLURM_ARRAY_JOB_ID:-?} on $(hostname): $CONFIG -> $OUT"
exec "$ENGRAM" run "$CONFIG" --out "$OUT" --shard slurm --resume "$@"
