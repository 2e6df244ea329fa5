// The risk taxonomy that pack categories must come from.
#ifndef MENSHEN_LIB_PACK_TAXONOMY_H_
#define MENSHEN_LIB_PACK_TAXONOMY_H_

#include <string>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "lib/pack/taxonomy.pb.h"

namespace menshen::internal {

class Taxonomy {
 public:
  // Parses and validates a taxonomy text proto: codes are unique and
  // well-formed, every parent exists and is a class.
  static absl::StatusOr<Taxonomy> Parse(std::string_view file_name, std::string_view content);
  // Builds a taxonomy from categories (e.g. those a compiled pack carries).
  static absl::StatusOr<Taxonomy> FromProto(std::string_view origin, pack::Taxonomy proto);
  // The taxonomy compiled into the library (keyword_packs/taxonomy.textproto).
  static const Taxonomy& Embedded();

  // The category with this code, or null.
  const pack::Category* Find(std::string_view code) const;
  const pack::Taxonomy& proto() const { return proto_; }

 private:
  pack::Taxonomy proto_;
  absl::flat_hash_map<std::string, int> index_;
};

}  // namespace menshen::internal

#endif  // MENSHEN_LIB_PACK_TAXONOMY_H_
