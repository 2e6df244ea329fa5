// Helpers shared by the test suites: temporary pack folders and files.
#ifndef MENSHEN_TESTS_TEST_UTIL_H_
#define MENSHEN_TESTS_TEST_UTIL_H_

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include "gtest/gtest.h"
#include "lib/base/utf8.h"

namespace menshen::testing {

// A fresh directory under the build tree, removed when the object dies.
class TempDir {
 public:
  TempDir() {
    const ::testing::TestInfo* info = ::testing::UnitTest::GetInstance()->current_test_info();
    std::string name = info ? std::string(info->test_suite_name()) + "." + info->name() : "t";
    for (char& c : name) {
      if (c == '/') c = '_';
    }
    path_ = std::filesystem::path(MENSHEN_TEST_TMPDIR) / name;
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  std::string path() const { return path_.string(); }
  std::string operator/(const std::string& rel) const { return (path_ / rel).string(); }

 private:
  std::filesystem::path path_;
};

// UTF-8 of one code point (lib/base's encoder).
inline std::string Utf8(char32_t c) {
  std::string s;
  internal::AppendUtf8(c, &s);
  return s;
}

inline void WriteFile(const std::string& path, const std::string& content) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
}

inline std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// A manifest with one term file "terms.tsv" (default A1.8, severity 2) and,
// when `with_regexes`, one regex file "regexes.tsv" (default X1, severity 2).
inline std::string Manifest(const std::string& name = "test", bool with_regexes = false) {
  std::string m = "name: \"" + name +
                  "\"\nversion: \"1.0.0\"\nlicense: \"Apache-2.0\"\n"
                  "term_files { path: \"terms.tsv\" default_category: \"A1.8\" "
                  "default_severity: 2 }\n";
  if (with_regexes) {
    m += "regex_files { path: \"regexes.tsv\" default_category: \"X1\" default_severity: 2 }\n";
  }
  return m;
}

// Writes a pack folder: pack.textproto plus the given files.
inline void WritePack(const std::string& dir, const std::string& manifest,
                      const std::map<std::string, std::string>& files) {
  WriteFile(dir + "/pack.textproto", manifest);
  for (const auto& [name, content] : files) WriteFile(dir + "/" + name, content);
}

}  // namespace menshen::testing

#endif  // MENSHEN_TESTS_TEST_UTIL_H_
