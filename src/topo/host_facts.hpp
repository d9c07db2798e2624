// Reading the facts of this host and process from the kernel (/proc, stat, prctl).
// Facts that cannot be read stay unknown (their LF_IDENTITY_KNOWN_* bit clear); scope
// detection treats unknown facts conservatively.
#pragma once

#include "topo/identity.hpp"

namespace lavaflow::topo {

// Boot id, machine id, hostname.
void read_host_facts(Identity &out);
// Namespaces, credentials, start time, dumpable, CAP_SYS_PTRACE, Yama ptrace_scope.
void read_process_facts(Identity &out);
// The start time (clock ticks after boot, field 22 of /proc/PID/stat) of a process of this
// pid namespace, 0 for this one; false if it does not exist (any more) or cannot be read.
bool read_start_time_ticks(uint32_t pid, uint64_t &out);
// Device and inode of the (canonical) base directory.
void read_base_dir_facts(const std::string &base_dir, Identity &out);

// "07bf8a4f-3828-4f31-ae80-04e2b2dba3fb" -> 16 bytes; false if malformed.
bool parse_uuid(std::string_view text, std::array<uint8_t, 16> &out) noexcept;
std::string format_uuid(const std::array<uint8_t, 16> &bytes);

}  // namespace lavaflow::topo
