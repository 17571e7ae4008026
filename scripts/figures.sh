#!/usr/bin/env bash
# Regenerate the paper figures and tables: for every experiment in experiments/, run its sweep
# (resuming if results exist), then write its tables (results/NAME/tables/) and figures
# (results/NAME/figures/). Extra arguments go to every `warnsim sweep`, e.g. --force to start
# the sweeps over after changing an experiment file, or --workers 1.
set -euo pipefail
cd "$(dirname "$0")/.."
WARNSIM=${WARNSIM:-.venv/bin/warnsim}
start=$SECONDS
for file in experiments/*.toml; do
    name=$(basename "$file" .toml)
    echo "== $name"
    begun=$SECONDS
    if [ "$name" = calibration ]; then  # a calibration file: its own command (sweep, score, write)
        "$WARNSIM" calibrate "$file" --out "results/$name" --quiet "$@"
        echo "== $name done in $((SECONDS - begun)) s"
        continue
    fi
    "$WARNSIM" sweep "$file" --out "results/$name" --quiet "$@"
    case "$name" in  # the robustness map reads its two sweeps together (hundreds of thousands of
        # runs: no per-sweep tables); its tables and figure go to results/robustness/
        robustness) echo "== $name done in $((SECONDS - begun)) s"; continue ;;
        robustness_gradient) "$WARNSIM" robustness results/robustness --gradient "results/$name" --quiet
                             echo "== $name done in $((SECONDS - begun)) s"; continue ;;
    esac
    "$WARNSIM" analyze "results/$name" --quiet
    "$WARNSIM" plot "results/$name"
    case "$name" in  # the questions stated in the experiment files
        # PRIM needs points on both sides of the threshold; where warning rivals lowers net
        # harm at none (or all) of them, that count is the answer and discover says so (exit 2)
        discovery) "$WARNSIM" discover "results/$name" --outcome net_harm \
                       --contrast doctrine=non_rivals:warn_all --threshold 0 \
                   || echo "== $name: no PRIM box (the line above gives the count)" ;;
        decomposition) "$WARNSIM" decompose "results/$name" ;;
        relay) "$WARNSIM" analyze "results/$name" --contrast liaison.A:C=false:true \
                   --where "bloc_pair == 'A:C' and channel in ['relay', 'private'] and rivalry <= 0.2" ;;
    esac
    echo "== $name done in $((SECONDS - begun)) s"
done
echo "figures: all experiments done in $((SECONDS - start)) s"
