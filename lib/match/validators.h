// Validators: checks that confirm a regex candidate after Hyperscan finds it.
//
// A regex entry may name a validator (the fifth column of a regex file, see
// docs/packs.md); resolution drops a candidate whose validator fails and counts
// it. Validators see the *folded* text (lower case, half width, ignorables
// removed) and the candidate's folded byte span [start, end); they may look at
// the code points just before and after it, never further than the separator
// and the character behind it.
//
// Each validator is a pure function of (folded, start, end): a streaming caller
// that hands it a window of folded text holding the candidate and at least two
// code points on either side (or the true text edge) gets the same answer as a
// block scan. No state, no allocation, no clock.
#ifndef MENSHEN_LIB_MATCH_VALIDATORS_H_
#define MENSHEN_LIB_MATCH_VALIDATORS_H_

#include <cstddef>
#include <string_view>

#include "lib/pack/pack.pb.h"

namespace menshen::internal {

// Whether the candidate at folded bytes [start, end) passes validator `v`.
// VALIDATOR_NONE always passes; an unknown value (from a newer pack) fails.
// Requires start <= end <= folded.size().
//
//   DIGIT_RUN       no ASCII letter or digit touches the span, and no digit
//                   continues it through one separator (". - _ / :"), so a
//                   mobile number inside an order number, a timestamp, a
//                   version string or an ID is not a mobile number. Works next
//                   to Han characters, which never count as part of the run.
//   CN_RESIDENT_ID  the DIGIT_RUN guard, then the span without separators is
//                   18 characters (17 digits and a digit or x) with a valid
//                   GB 11643-1999 check digit, or 15 digits (the pre-1999
//                   form); the first two digits are a province code in use
//                   (11..82, plus 83 for residence permits); the birth date is
//                   a real calendar date in 1900..2099 (15 digits: 1900..1999).
//   LUHN            the DIGIT_RUN guard, then the digits of the span (spaces
//                   and hyphens ignored) number 13..19 and pass the Luhn check.
//   PUBLIC_IPV4     the DIGIT_RUN guard, then the span is a dotted quad of
//                   0..255 without leading zeros that is not in 0/8, 10/8,
//                   100.64/10, 127/8, 169.254/16, 172.16/12, 192.0.0/24,
//                   192.0.2/24, 192.168/16, 198.18/15, 198.51.100/24,
//                   203.0.113/24 or 224/3 (private, shared, loopback,
//                   link-local, documentation, benchmarking, multicast,
//                   reserved, broadcast).
//   TOKEN           no ASCII letter or digit right before the span (what comes
//                   after is not checked: a bounded pattern may end inside a
//                   longer token), and the span holds at least two digits, as
//                   random tokens do and hyphenated words (task-...) do not.
bool Validate(pack::Validator v, std::string_view folded, size_t start, size_t end);

// The DIGIT_RUN guard alone.
bool StandsAlone(std::string_view folded, size_t start, size_t end);

}  // namespace menshen::internal

#endif  // MENSHEN_LIB_MATCH_VALIDATORS_H_
