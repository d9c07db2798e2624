#include "cli_common.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <sys/stat.h>
#include <unistd.h>

namespace lavaflow_cli {

lf::context make_context(const GlobalOptions &options, int32_t log_level) {
  lf_context_params_t params{};
  if (log_level >= 0) {
    params.field_mask |= LF_CONTEXT_PARAM_FIELD_LOG_LEVEL;
    params.log_level = log_level;
  }
  if (!options.topology.empty()) {
    params.field_mask |= LF_CONTEXT_PARAM_FIELD_TOPOLOGY;
    params.topology = options.topology.c_str();
  }
  if (!options.base_dir.empty()) {
    params.field_mask |= LF_CONTEXT_PARAM_FIELD_BASE_DIR;
    params.base_dir = options.base_dir.c_str();
  }
  params.field_mask |= LF_CONTEXT_PARAM_FIELD_NAME;
  params.name = "lavaflow-cli";
  return lf::context(&params);
}

std::vector<uint8_t> read_blob_file(const std::string &path) {
  FILE *file = path == "-" ? stdin : std::fopen(path.c_str(), "rb");
  if (file == nullptr) throw CliError("cannot open '" + path + "': " + std::strerror(errno));
  struct stat st {};
  if (fstat(fileno(file), &st) == 0 && S_ISDIR(st.st_mode)) {
    if (file != stdin) std::fclose(file);
    throw CliError("'" + path + "' is a directory, not an identity blob");
  }
  std::vector<uint8_t> blob(LF_IDENTITY_BLOB_MAX_SIZE + 1);
  size_t n = std::fread(blob.data(), 1, blob.size(), file);
  bool failed = std::ferror(file) != 0;
  if (file != stdin) std::fclose(file);
  if (failed) throw CliError("cannot read '" + path + "'");
  blob.resize(n);
  return blob;
}

void write_blob_file(const std::string &path, const std::vector<uint8_t> &blob) {
  if (path == "-") {
    if (isatty(STDOUT_FILENO)) throw CliError("refusing to write a binary identity blob to a terminal");
    if (std::fwrite(blob.data(), 1, blob.size(), stdout) != blob.size() || std::fflush(stdout) != 0)
      throw CliError("cannot write the identity blob to stdout");
    return;
  }
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char *>(blob.data()), static_cast<std::streamsize>(blob.size()));
  if (!out) throw CliError("cannot write '" + path + "': " + std::strerror(errno));
}

std::string format_bytes(uint64_t bytes) {
  static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double value = static_cast<double>(bytes);
  int unit = 0;
  while (value >= 1024.0 && unit < 4) {
    value /= 1024.0;
    ++unit;
  }
  char text[32];
  std::snprintf(text, sizeof text, unit == 0 ? "%.0f %s" : "%.1f %s", value, units[unit]);
  return text;
}

std::string hex64(uint64_t value) {
  char text[24];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(value));
  return text;
}

}  // namespace lavaflow_cli
