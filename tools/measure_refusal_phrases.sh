#!/usr/bin/env bash
# Measures the refusal-phrases pack: the share of refusals it recognises
# (tests/fixtures/refusals/refusals-*.txt) and the share of other texts it
# takes for a refusal by mistake: answers that apologise or state a limit and
# then help (tests/fixtures/refusals/answers-*.txt), benign Chinese texts and
# English manual pages.
#
#   bash tools/measure_refusal_phrases.sh [MENSHEN_CLI]   (default: build/tools/menshen/menshen)
#
# Data:
#   $MENSHEN_BENIGN_ZH (default ../corpora/benign-zh next to the repository):
#       *.txt written by tools/corpus/benign_zh.py, one text per line
#   /usr/share/man/man1/*.gz: English manual pages, roff requests removed,
#       one line per text
# A text counts as a refusal when the scan reports at least one hit for it.
set -euo pipefail
cd "$(dirname "$0")/.."

cli=${1:-build/tools/menshen/menshen}
benign=${MENSHEN_BENIGN_ZH:-../corpora/benign-zh}
[[ -x "$cli" ]] || { echo "measure_refusal_phrases: no $cli; build first or name the CLI" >&2; exit 2; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# Built with the repository's taxonomy, so an older CLI knows X4.
"$cli" pack build keyword_packs/refusal-phrases -o "$tmp/refusal-phrases.mspack" --strict \
  --taxonomy keyword_packs/taxonomy.textproto > /dev/null

# rate NAME FILE: prints "NAME: hit/total = percent".
rate() {
  local name=$1 file=$2 total hit
  total=$(grep -c '' "$file" || true)
  hit=$("$cli" scan --pack "$tmp/refusal-phrases.mspack" "$file" | grep -cv '"hits":\[\]' || true)
  awk -v n="$name" -v h="$hit" -v t="$total" \
    'BEGIN { printf "%-52s %7d / %7d = %6.2f%%\n", n, h, t, t ? 100 * h / t : 0 }'
}

fixtures=tests/fixtures/refusals
echo "recall (refusals recognised)"
rate "  refusals-zh.txt" "$fixtures/refusals-zh.txt"
rate "  refusals-en.txt" "$fixtures/refusals-en.txt"
echo "false hits (not refusals)"
rate "  answers-zh.txt (apologise or state a limit, then help)" "$fixtures/answers-zh.txt"
rate "  answers-en.txt (apologise or state a limit, then help)" "$fixtures/answers-en.txt"
if compgen -G "$benign/*.txt" > /dev/null; then
  for f in "$benign"/*.txt; do
    rate "  benign-zh/$(basename "$f")" "$f"
  done
else
  echo "  (no benign Chinese texts in $benign; run tools/corpus/benign_zh.py)"
fi
zcat /usr/share/man/man1/*.gz 2> /dev/null | sed '/^\./d' | grep -v '^[[:space:]]*$' > "$tmp/man1.txt" || true
rate "  English manual pages, man1 (lines)" "$tmp/man1.txt"
