#include "topo/topology_source.hpp"

#include "core/error.hpp"
#include "core/strings.hpp"

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <sys/stat.h>

namespace lavaflow::topo {

using core::fail;

TopologySource TopologySource::parse(std::string_view spec_in, std::string origin) {
  std::string_view spec = core::trim(spec_in);
  TopologySource source;
  source.origin = std::move(origin);
  if (spec == "system") return source;

  constexpr std::string_view kSynthetic = "synthetic:";
  constexpr std::string_view kXml = "xml:";
  if (spec.starts_with(kSynthetic)) {
    source.kind = LF_TOPOLOGY_SOURCE_SYNTHETIC;
    source.argument = std::string(core::trim(spec.substr(kSynthetic.size())));
    if (source.argument.empty())
      fail(LF_ERR_INVALID_ARGUMENT, "topology '%.*s' (%s): the synthetic description is empty",
           static_cast<int>(spec.size()), spec.data(), source.origin.c_str());
    return source;
  }
  if (spec.starts_with(kXml)) {
    source.kind = LF_TOPOLOGY_SOURCE_XML;
    std::string path(core::trim(spec.substr(kXml.size())));
    if (path.empty() || path[0] != '/')
      fail(LF_ERR_INVALID_ARGUMENT, "topology '%.*s' (%s): the XML path must be absolute",
           static_cast<int>(spec.size()), spec.data(), source.origin.c_str());
    char resolved[PATH_MAX];
    if (realpath(path.c_str(), resolved) == nullptr)
      core::fail_errno(errno, "topology XML file '%s' (%s)", path.c_str(), source.origin.c_str());
    struct stat st {};
    if (stat(resolved, &st) != 0) core::fail_errno(errno, "stat('%s')", resolved);
    if (!S_ISREG(st.st_mode))
      fail(LF_ERR_INVALID_ARGUMENT, "topology XML '%s' (%s) is not a regular file", resolved,
           source.origin.c_str());
    source.argument = resolved;
    return source;
  }
  fail(LF_ERR_INVALID_ARGUMENT,
       "topology '%.*s' (%s) is not 'system', 'synthetic:DESCRIPTION' or 'xml:PATH'",
       static_cast<int>(spec.size()), spec.data(), source.origin.c_str());
}

std::string TopologySource::describe() const {
  switch (kind) {
    case LF_TOPOLOGY_SOURCE_SYNTHETIC:
      return core::format_text("synthetic \"%s\" (from %s)", argument.c_str(), origin.c_str());
    case LF_TOPOLOGY_SOURCE_XML:
      return core::format_text("xml %s (from %s)", argument.c_str(), origin.c_str());
    case LF_TOPOLOGY_SOURCE_SYSTEM:
      break;
  }
  return core::format_text("system (from %s)", origin.c_str());
}

}  // namespace lavaflow::topo
