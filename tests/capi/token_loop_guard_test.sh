#!/usr/bin/env bash
# examples/c/token_loop_guard.c on the default packs: the clean answer passes,
# the phone number is masked, the drug advert is cut mid-answer (decoding
# stops early) with the refusal sent instead, the bad prompt never decodes.
#   token_loop_guard_test.sh PROGRAM
set -euo pipefail
out=$("$1")
printf '%s\n' "$out"
grep -q 'Autumn leaves drift down' <<< "$out"
grep -q '^request 1: ALLOW ' <<< "$out"
! grep -q '13812345678' <<< "$out"
grep -q '^request 2: MASK ' <<< "$out"
! grep -q '冰毒' <<< "$out"
line=$(grep '^request 3: ' <<< "$out")
[[ $line =~ (REFUSE|BLOCK)\ .*steps=([0-9]+)/([0-9]+) ]]
(( BASH_REMATCH[2] < BASH_REMATCH[3] ))  # decoding stopped before the end
grep -q '^request 4: REFUSE .*(prompt)' <<< "$out"
! grep -q 'never generated' <<< "$out"
