// lavaflow identity: this process's identity (or one for given PUs), optionally as a blob.
#include "cli_common.hpp"

#include <sys/sysmacros.h>

#include <iostream>

namespace lavaflow_cli {

namespace {

struct NamespaceField {
  const char *name;
  uint64_t lf_identity_info_t::*member;
};
const NamespaceField kNamespaces[] = {{"ipc", &lf_identity_info_t::ipc_namespace},
                                      {"mnt", &lf_identity_info_t::mnt_namespace},
                                      {"pid", &lf_identity_info_t::pid_namespace},
                                      {"net", &lf_identity_info_t::net_namespace},
                                      {"user", &lf_identity_info_t::user_namespace}};

std::string known(const lf_identity_info_t &info, uint32_t flag, const std::string &text) {
  return (info.flags & flag) ? text : "unknown";
}

std::string cpuset_origin(const lf_identity_info_t &info) {
  if (info.flags & LF_IDENTITY_CPUSET_GIVEN) return "given";
  return (info.flags & LF_IDENTITY_THREAD_BINDING) ? "thread binding" : "process binding";
}

const char *source_name(int32_t kind) {
  switch (kind) {
    case LF_TOPOLOGY_SOURCE_SYNTHETIC: return "synthetic";
    case LF_TOPOLOGY_SOURCE_XML: return "xml";
    default: return "system";
  }
}

}  // namespace

void print_identity(std::ostream &out, const lf::identity &id, const std::string &title) {
  lf_identity_info_t info = id.info();
  out << title << "\n";
  out << "  hostname    " << id.text(LF_IDENTITY_TEXT_HOSTNAME) << "\n";
  out << "  boot id     " << known(info, LF_IDENTITY_KNOWN_BOOT_ID, id.text(LF_IDENTITY_TEXT_BOOT_ID)) << "\n";
  out << "  machine id  " << known(info, LF_IDENTITY_KNOWN_MACHINE_ID, id.text(LF_IDENTITY_TEXT_MACHINE_ID)) << "\n";
  out << "  namespaces ";
  if (info.flags & LF_IDENTITY_KNOWN_NAMESPACES) {
    for (const auto &ns : kNamespaces) out << " " << ns.name << " " << info.*ns.member;
    out << "\n";
  } else {
    out << " unknown\n";
  }
  out << "  process     pid " << info.pid << ", uid " << info.uid << ", gid " << info.gid;
  if (info.flags & LF_IDENTITY_KNOWN_START_TIME) out << ", started at tick " << info.start_time_ticks;
  out << ((info.flags & LF_IDENTITY_DUMPABLE) ? ", dumpable" : ", not dumpable")
      << ((info.flags & LF_IDENTITY_CAP_SYS_PTRACE) ? ", CAP_SYS_PTRACE" : "") << ", Yama ptrace_scope "
      << info.ptrace_scope << "\n";
  out << "  base dir    " << id.text(LF_IDENTITY_TEXT_BASE_DIR);
  if (info.flags & LF_IDENTITY_KNOWN_BASE_DIR)
    out << " (dev " << major(info.base_dir_device) << ":" << minor(info.base_dir_device) << ", inode "
        << info.base_dir_inode << ")\n";
  else
    out << " (not examined)\n";
  auto or_none = [](std::string text) { return text.empty() ? std::string("none") : text; };
  out << "  cpuset      " << id.text(LF_IDENTITY_TEXT_CPUSET) << " (" << cpuset_origin(info) << ") -> touches NUMA node(s) "
      << or_none(id.text(LF_IDENTITY_TEXT_NUMA_NODES)) << ", package(s) " << or_none(id.text(LF_IDENTITY_TEXT_PACKAGES))
      << "; lies in NUMA node(s) " << or_none(id.text(LF_IDENTITY_TEXT_LOCAL_NUMA_NODES)) << ", package(s) "
      << or_none(id.text(LF_IDENTITY_TEXT_LOCAL_PACKAGES)) << "\n";
  out << "  topology    " << source_name(info.topology_source) << ", digest " << hex64(info.topology_digest) << "\n";
  out << "  blob        " << id.serialize().size() << " bytes\n";
}

void write_identity_json(JsonWriter &json, const lf::identity &id) {
  lf_identity_info_t info = id.info();
  json.begin_object();
  json.field("hostname", id.text(LF_IDENTITY_TEXT_HOSTNAME));
  json.field("boot_id", id.text(LF_IDENTITY_TEXT_BOOT_ID));
  json.field("boot_id_known", (info.flags & LF_IDENTITY_KNOWN_BOOT_ID) != 0);
  json.field("machine_id", id.text(LF_IDENTITY_TEXT_MACHINE_ID));
  json.field("machine_id_known", (info.flags & LF_IDENTITY_KNOWN_MACHINE_ID) != 0);
  json.key("namespaces").begin_object();
  for (const auto &ns : kNamespaces) json.field(ns.name, info.*ns.member);
  json.end_object();
  json.field("namespaces_known", (info.flags & LF_IDENTITY_KNOWN_NAMESPACES) != 0);
  json.field("pid", info.pid);
  json.field("uid", info.uid);
  json.field("gid", info.gid);
  json.field("start_time_ticks", info.start_time_ticks);
  json.field("dumpable", (info.flags & LF_IDENTITY_DUMPABLE) != 0);
  json.field("cap_sys_ptrace", (info.flags & LF_IDENTITY_CAP_SYS_PTRACE) != 0);
  json.field("ptrace_scope", info.ptrace_scope);
  json.key("base_dir").begin_object();
  json.field("path", id.text(LF_IDENTITY_TEXT_BASE_DIR));
  json.field("known", (info.flags & LF_IDENTITY_KNOWN_BASE_DIR) != 0);
  json.field("device", info.base_dir_device);
  json.field("inode", info.base_dir_inode);
  json.end_object();
  json.field("cpuset", id.text(LF_IDENTITY_TEXT_CPUSET));
  json.field("cpuset_origin", cpuset_origin(info));
  json.field("numa_nodes", id.text(LF_IDENTITY_TEXT_NUMA_NODES));
  json.field("packages", id.text(LF_IDENTITY_TEXT_PACKAGES));
  json.field("local_numa_nodes", id.text(LF_IDENTITY_TEXT_LOCAL_NUMA_NODES));
  json.field("local_packages", id.text(LF_IDENTITY_TEXT_LOCAL_PACKAGES));
  json.field("topology_source", source_name(info.topology_source));
  json.field("topology_digest", hex64(info.topology_digest));
  json.field("blob_bytes", static_cast<uint64_t>(id.serialize().size()));
  json.end_object();
}

CLI::App *add_identity_command(CLI::App &app, GlobalOptions &options) {
  struct Args {
    std::string cpuset, out;
    bool thread = false, json = false;
  };
  auto args = std::make_shared<Args>();
  auto *cmd = app.add_subcommand("identity", "Show this process's identity, or one for the given PUs");
  cmd->add_option("--cpuset", args->cpuset, "Describe an endpoint running on these PUs (e.g. 0-3,8)");
  cmd->add_flag("--thread", args->thread, "Use the calling thread's binding instead of the process's");
  cmd->add_option("--out", args->out, "Write the identity blob to FILE ('-' for stdout, nothing else printed)");
  cmd->add_flag("--json", args->json, "Print JSON instead of text");
  cmd->callback([&options, args] {
    lf::context ctx = make_context(options);
    lf_identity_params_t params{};
    if (!args->cpuset.empty()) {
      params.field_mask |= LF_IDENTITY_PARAM_FIELD_CPUSET;
      params.cpuset = args->cpuset.c_str();
    }
    if (args->thread) {
      params.field_mask |= LF_IDENTITY_PARAM_FIELD_FLAGS;
      params.flags = LF_IDENTITY_FLAG_THREAD_BINDING;
    }
    lf::identity id(ctx, &params);
    if (!args->out.empty()) write_blob_file(args->out, id.serialize());
    if (args->out == "-") return;
    if (args->json) {
      JsonWriter writer(std::cout);
      write_identity_json(writer, id);
    } else {
      print_identity(std::cout, id, "identity of this process");
      if (!args->out.empty()) std::cout << "wrote the blob to " << args->out << "\n";
    }
  });
  return cmd;
}

}  // namespace lavaflow_cli
