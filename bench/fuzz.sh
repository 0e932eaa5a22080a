#!/usr/bin/env bash
# Coverage-guided fuzzing of one record reader with SharpFuzz and afl++, for a fixed time:
#   bash bench/fuzz.sh TARGET SECONDS      (targets: transaction fraud-report csv body registry)
# Publishes bench/Fuzz, instruments the readers' assemblies (SkimGuard.Contracts, SkimGuard.Ingest), seeds a corpus
# from the simulator and runs afl-fuzz. Findings land in $FUZZ_OUT/TARGET/findings (default /tmp/skimguard-fuzz);
# replay one (on an uninstrumented build) with: dotnet run --project bench/Fuzz -c Release -- replay TARGET FILE
set -euo pipefail
cd "$(dirname "$0")/.."
target=${1:?usage: bash bench/fuzz.sh TARGET SECONDS}
seconds=${2:-600}
out=${FUZZ_OUT:-/tmp/skimguard-fuzz}/$target

command -v afl-fuzz >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends afl++ >/dev/null; }
dotnet tool restore >/dev/null

rm -rf "$out" && mkdir -p "$out"
dotnet publish bench/Fuzz -c Release -o "$out/app" -v quiet -nologo >/dev/null
# Seeds first: instrumented code runs only under afl-fuzz, which gives it the coverage map.
dotnet "$out/app/SkimGuard.Fuzz.dll" seed "$target" "$out/corpus"
for assembly in SkimGuard.Contracts.dll SkimGuard.Ingest.dll; do
  dotnet sharpfuzz "$out/app/$assembly" >/dev/null
done

# afl++ runs `dotnet`, which it cannot see instrumented (the coverage is in the .NET assemblies): skip that check. The
# machine's CPU governor and core pattern are not ours to change in a container.
export AFL_SKIP_BIN_CHECK=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_UI=1 AFL_NO_AFFINITY=1
afl-fuzz -V "$seconds" -i "$out/corpus" -o "$out/findings" -t 10000 -m none -- dotnet "$out/app/SkimGuard.Fuzz.dll" "$target" > "$out/afl.log" 2>&1 || {
  tail -30 "$out/afl.log"; exit 1; }

stats="$out/findings/default/fuzzer_stats"
crashes=$(find "$out/findings/default/crashes" -type f -name 'id:*' | wc -l)
hangs=$(find "$out/findings/default/hangs" -type f -name 'id:*' | wc -l)
printf '%s: %s s, %s executions, %s paths (corpus), %s crashes, %s hangs\n' "$target" "$seconds" \
  "$(awk -F': ' '/^execs_done/ {print $2}' "$stats")" "$(awk -F': ' '/^corpus_count/ {print $2}' "$stats")" "$crashes" "$hangs"
