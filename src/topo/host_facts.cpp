#include "topo/host_facts.hpp"

#include "core/error.hpp"
#include "core/strings.hpp"

#include <cerrno>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

namespace lavaflow::topo {

namespace {

constexpr int kCapSysPtrace = 19;  // linux/capability.h

// Whole small file, or "" when it cannot be read.
std::string read_small_file(const char *path) {
  std::ifstream in(path);
  if (!in) return {};
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// 32 hex digits, dashes ignored.
bool parse_hex16(std::string_view text, std::array<uint8_t, 16> &out) noexcept {
  std::string digits;
  for (char c : text)
    if (c != '-') digits.push_back(c);
  return core::parse_hex(digits, out.data(), out.size());
}

}  // namespace

bool parse_uuid(std::string_view text, std::array<uint8_t, 16> &out) noexcept {
  return parse_hex16(core::trim(text), out);
}

std::string format_uuid(const std::array<uint8_t, 16> &b) {
  std::string hex = core::hex_bytes(b.data(), b.size());
  return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" + hex.substr(16, 4) + "-" +
         hex.substr(20);
}

void read_host_facts(Identity &out) {
  // The boot id is per kernel and the same in every container on it: the one fact that
  // proves two endpoints share a kernel.
  if (parse_uuid(read_small_file("/proc/sys/kernel/random/boot_id"), out.boot_id))
    out.flags |= LF_IDENTITY_KNOWN_BOOT_ID;
  std::string machine = read_small_file("/etc/machine-id");
  if (machine.empty()) machine = read_small_file("/var/lib/dbus/machine-id");
  if (parse_hex16(core::trim(machine), out.machine_id)) out.flags |= LF_IDENTITY_KNOWN_MACHINE_ID;
  struct utsname names {};
  if (uname(&names) == 0) out.hostname = std::string(names.nodename).substr(0, kMaxHostnameBytes);
}

bool read_start_time_ticks(uint32_t pid, uint64_t &out) {
  // Field 22 of /proc/PID/stat, counted after the command name (which may hold spaces).
  const std::string path = pid == 0 ? std::string("/proc/self/stat") : "/proc/" + std::to_string(pid) + "/stat";
  std::string stat_line = read_small_file(path.c_str());
  size_t paren = stat_line.rfind(')');
  if (paren == std::string::npos) return false;
  std::istringstream fields(stat_line.substr(paren + 1));
  std::string field;
  for (int i = 3; i <= 22 && fields >> field; ++i) {
    if (i == 22) {
      out = std::strtoull(field.c_str(), nullptr, 10);
      return true;
    }
  }
  return false;
}

void read_process_facts(Identity &out) {
  static const char *const kPaths[kNamespaceCount] = {"/proc/self/ns/ipc", "/proc/self/ns/mnt",
                                                      "/proc/self/ns/pid", "/proc/self/ns/net",
                                                      "/proc/self/ns/user"};
  bool all_known = true;
  for (int i = 0; i < kNamespaceCount; ++i) {
    struct stat st {};
    if (stat(kPaths[i], &st) == 0) {
      out.namespaces[static_cast<size_t>(i)] = st.st_ino;
    } else {
      all_known = false;
    }
  }
  if (all_known) out.flags |= LF_IDENTITY_KNOWN_NAMESPACES;

  // Effective ids: they own the files lavaflow creates and are what SO_PEERCRED reports.
  out.uid = geteuid();
  out.gid = getegid();
  out.pid = static_cast<uint32_t>(getpid());

  if (read_start_time_ticks(0, out.start_time_ticks)) out.flags |= LF_IDENTITY_KNOWN_START_TIME;

  if (prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) == 1) out.flags |= LF_IDENTITY_DUMPABLE;

  std::istringstream status(read_small_file("/proc/self/status"));
  for (std::string line; std::getline(status, line);) {
    if (!line.starts_with("CapEff:")) continue;
    uint64_t caps = std::strtoull(line.c_str() + 7, nullptr, 16);
    if ((caps >> kCapSysPtrace) & 1u) out.flags |= LF_IDENTITY_CAP_SYS_PTRACE;
  }

  std::string yama = read_small_file("/proc/sys/kernel/yama/ptrace_scope");
  out.ptrace_scope = yama.empty() ? 0 : static_cast<uint32_t>(std::strtoul(yama.c_str(), nullptr, 10));
  if (out.ptrace_scope > 3) out.ptrace_scope = 3;
}

void read_base_dir_facts(const std::string &base_dir, Identity &out) {
  out.base_dir = base_dir;
  struct stat st {};
  if (stat(base_dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
    out.base_dir_device = st.st_dev;
    out.base_dir_inode = st.st_ino;
    out.flags |= LF_IDENTITY_KNOWN_BASE_DIR;
  }
}

}  // namespace lavaflow::topo
