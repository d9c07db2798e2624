// lavaflow scope A B: the scope between two identity blobs, with every mechanism and reason.
#include "cli_common.hpp"

#include <iomanip>
#include <iostream>

namespace lavaflow_cli {

namespace {

const lf_mechanism_t kMechanisms[] = {LF_MECHANISM_ADDRESS_SPACE, LF_MECHANISM_SHARED_MEMORY, LF_MECHANISM_FD_PASSING,
                                      LF_MECHANISM_CMA, LF_MECHANISM_VULKAN_MEMORY, LF_MECHANISM_NETWORK};

lf::identity load_identity(const lf::context &ctx, const std::string &path) {
  std::vector<uint8_t> blob = read_blob_file(path);
  try {
    return lf::identity(ctx, blob);
  } catch (const lf::error &e) {
    throw CliError("cannot use identity '" + path + "': " + lf_status_string(e.status()) + ": " + e.what());
  }
}

}  // namespace

void print_scope(std::ostream &out, const lf::scope &scope) {
  lf_scope_info_t info = scope.info();
  out << "scope: " << lf_scope_level_name(info.level) << "\n";
  out << "  reason:   " << scope.reason() << "\n";
  out << "  hardware: " << lf_scope_level_name(info.hardware_level) << "\n";
  out << "  mechanisms:\n";
  for (lf_mechanism_t m : kMechanisms)
    out << "    " << ((info.mechanisms & m) ? "yes " : "no  ") << std::left << std::setw(15) << lf_mechanism_name(m)
        << scope.reason(m) << "\n";
}

void write_scope_json(JsonWriter &json, const lf::scope &scope) {
  lf_scope_info_t info = scope.info();
  json.begin_object();
  json.field("level", lf_scope_level_name(info.level));
  json.field("detected_level", lf_scope_level_name(info.detected_level));
  json.field("hardware_level", lf_scope_level_name(info.hardware_level));
  json.field("overridden", (info.flags & LF_SCOPE_FLAG_OVERRIDDEN) != 0);
  json.field("override_ignored", (info.flags & LF_SCOPE_FLAG_OVERRIDE_IGNORED) != 0);
  json.field("topologies_differ", (info.flags & LF_SCOPE_FLAG_TOPOLOGIES_DIFFER) != 0);
  json.field("reason", scope.reason());
  json.key("mechanisms").begin_object();
  for (lf_mechanism_t m : kMechanisms) {
    json.key(lf_mechanism_name(m)).begin_object();
    json.field("available", (info.mechanisms & m) != 0);
    json.field("reason", scope.reason(m));
    json.end_object();
  }
  json.end_object();
  json.end_object();
}

CLI::App *add_scope_command(CLI::App &app, GlobalOptions &options) {
  struct Args {
    std::string a, b;
    bool json = false;
  };
  auto args = std::make_shared<Args>();
  auto *cmd = app.add_subcommand("scope", "Decide the scope between two identity blobs (from 'lavaflow identity --out')");
  cmd->add_option("FILE_A", args->a, "First identity blob ('-' for stdin)")->required();
  cmd->add_option("FILE_B", args->b, "Second identity blob")->required();
  cmd->add_flag("--json", args->json, "Print JSON instead of text");
  cmd->callback([&options, args] {
    lf::context ctx = make_context(options);
    lf::identity a = load_identity(ctx, args->a);
    lf::identity b = load_identity(ctx, args->b);
    lf::scope scope(ctx, a, b);
    if (args->json) {
      JsonWriter writer(std::cout);
      write_scope_json(writer, scope);
    } else {
      print_scope(std::cout, scope);
    }
  });
  return cmd;
}

}  // namespace lavaflow_cli
