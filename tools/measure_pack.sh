#!/usr/bin/env bash
# Measures the abuse packs on third-party data in ../shared, read where it is
# and never copied: the share of offensive texts (or list entries) a pack hits,
# and the share of benign texts it hits by mistake.
#
#   bash tools/measure_pack.sh [BUILD_DIR]      (default: build)
#
# Data ($MENSHEN_SHARED, default ../shared next to the repository):
#   eval/cold_dev.tsv            COLD dev split, label<TAB>topic<TAB>text
#   lexicons/ldnoobw_zh.txt      Chinese profanity list (one entry a line)
#   lexicons/ldnoobw_en.txt, dsojevic_profanity_en.txt, surge_ai_profanity_en.csv
#                                English profanity lists (entries as texts)
#   lexicons/licenses/*.txt, eval/LICENSE-COLD-Apache-2.0.txt
#                                English prose with no abuse (licence texts;
#                                lines with Han characters left out)
# A text counts as hit when the scan reports at least one hit for it.
set -euo pipefail
cd "$(dirname "$0")/.."

build=${1:-build}
cli="$build/tools/menshen/menshen"
shared=${MENSHEN_SHARED:-../shared}
[[ -x "$cli" ]] || { echo "measure_pack: no $cli; build first" >&2; exit 2; }
[[ -f "$shared/eval/cold_dev.tsv" ]] || { echo "measure_pack: no data in $shared" >&2; exit 2; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# rate NAME FILE PACK...: scans FILE (one text per line) with the packs and
# prints "NAME: hit/total = percent".
rate() {
  local name=$1 file=$2
  shift 2
  local args=()
  for p in "$@"; do args+=(--pack "$p"); done
  local total hit
  total=$(wc -l < "$file")
  hit=$("$cli" scan "${args[@]}" "$file" | grep -cv '"hits":\[\]' || true)
  awk -v n="$name" -v h="$hit" -v t="$total" \
    'BEGIN { printf "%-58s %5d / %5d = %5.1f%%\n", n, h, t, t ? 100 * h / t : 0 }'
}

awk -F'\t' '$1 == "offensive" { print $3 }' "$shared/eval/cold_dev.tsv" > "$tmp/cold_off.txt"
awk -F'\t' '$1 == "benign" { print $3 }' "$shared/eval/cold_dev.tsv" > "$tmp/cold_benign.txt"
grep -v '^[[:space:]]*$' "$shared/lexicons/ldnoobw_zh.txt" > "$tmp/ldnoobw_zh.txt"
grep -v '^[[:space:]]*$' "$shared/lexicons/ldnoobw_en.txt" > "$tmp/ldnoobw_en.txt"
grep -v '^[[:space:]]*$' "$shared/lexicons/dsojevic_profanity_en.txt" > "$tmp/dsojevic_en.txt"
# surge: the first CSV column (no entry there contains a comma or a quote).
tail -n +2 "$shared/lexicons/surge_ai_profanity_en.csv" | cut -d, -f1 > "$tmp/surge_en.txt"
# Licence texts: non-blank lines without Han characters (Apache-2.0.txt has a
# Chinese translation).
cat "$shared"/lexicons/licenses/*.txt "$shared/eval/LICENSE-COLD-Apache-2.0.txt" |
  grep -v '^[[:space:]]*$' | grep -Pv '[\x{3400}-\x{9fff}]' > "$tmp/licenses_en.txt"

zh=keyword_packs/abuse-zh
en=keyword_packs/abuse-en
echo "abuse-zh"
rate "  COLD dev offensive (hit rate)" "$tmp/cold_off.txt" "$zh"
rate "  COLD dev benign (false-hit rate)" "$tmp/cold_benign.txt" "$zh"
rate "  ldnoobw_zh entries (hit rate)" "$tmp/ldnoobw_zh.txt" "$zh"
echo "abuse-en"
rate "  ldnoobw_en entries (hit rate)" "$tmp/ldnoobw_en.txt" "$en"
rate "  dsojevic_profanity_en entries (hit rate)" "$tmp/dsojevic_en.txt" "$en"
rate "  surge_ai_profanity_en entries (hit rate)" "$tmp/surge_en.txt" "$en"
rate "  licence texts, English lines (false-hit rate)" "$tmp/licenses_en.txt" "$en"
echo "all default packs (starter, pii-zh, secrets, prompt-injection, abuse-zh, abuse-en)"
defaults=(keyword_packs/starter keyword_packs/pii-zh keyword_packs/secrets
          keyword_packs/prompt-injection "$zh" "$en")
rate "  COLD dev offensive (hit rate)" "$tmp/cold_off.txt" "${defaults[@]}"
rate "  COLD dev benign (false-hit rate)" "$tmp/cold_benign.txt" "${defaults[@]}"
rate "  licence texts, English lines (false-hit rate)" "$tmp/licenses_en.txt" "${defaults[@]}"
