#!/usr/bin/env bash
# Submit a study as a SLURM array of TASKS shards and a merge job that runs after all of them.
#
#   examples/slurm/submit.sh CONFIG.toml [OUT] [TASKS] [extra engram run options]
#
# Prints the two job ids. The merged results land in OUT/<study>/ (the study name is the
# config's [study] name). Needs sbatch on PATH and target/release/engram built
# (cargo build --release), on a filesystem the compute nodes share.
set -euo pipefail
CONFIG=${1:?usage: submit.sh CONFIG.toml [OUT] [TASKS] [extra engram run options]}
OUT=${2:-results}
TASKS=${3:-4}
shift $(( $# >= 3 ? 3 : $# ))
HERE=$(cd "$(dirname "$0")" && pwd)
export ENGRAM=${ENGRAM:-$(pwd)/target/release/engram}
STUDY=$(sed -n '/^\[study\]/,/^\[/{s/^name *= *"\(.*\)".*/\1/p}' "$CONFIG" | head -1)
[ -n "$STUDY" ] || { echo "no [study] name in $CONFIG" >&2; exit 2; }
ARRAY=$(sbatch --parsable --array=0-$((TASKS - 1)) "$HERE/job.sh" "$CONFIG" "$OUT" "$@")
MERGE=$(sbatch --parsable --dependency=afterok:"$ARRAY" --job-name=engram-merge \
    --output=engram-merge-%j.log --wrap "$ENGRAM merge $OUT/$STUDY")
echo "array job $ARRAY ($TASKS tasks), merge job $MERGE -> $OUT/$STUDY"
