// lavaflow topo: packages, NUMA nodes, cores, PUs, PCI devices and this process's binding.
#include "cli_common.hpp"

#include <cstdio>
#include <iostream>

namespace lavaflow_cli {

namespace {

std::string pci_address(const lf_topology_object_t &o) {
  char text[24];
  std::snprintf(text, sizeof text, "%04x:%02x:%02x.%x", o.pci_domain, o.pci_bus, o.pci_device, o.pci_function);
  return text;
}

std::string index_text(uint32_t index) { return index == LF_TOPOLOGY_INDEX_NONE ? "-" : std::to_string(index); }

void json_index(JsonWriter &json, const char *name, uint32_t index) {
  json.key(name);
  if (index == LF_TOPOLOGY_INDEX_NONE)
    json.null_value();
  else
    json.value(index);
}

}  // namespace

void print_topology(std::ostream &out, const lf::context &ctx) {
  lf_topology_info_t info = ctx.topology_info();
  out << "topology: " << ctx.topology_source() << (info.is_this_system ? "" : " (not this machine)") << "\n";
  out << "  machine: " << info.packages << " package(s), " << info.numa_nodes << " NUMA node(s), " << info.cores
      << " core(s), " << info.pus << " PU(s), " << format_bytes(info.total_memory_bytes) << " of memory\n";
  for (uint32_t p = 0; p < info.packages; ++p) {
    lf_topology_object_t pkg = ctx.object(LF_TOPOLOGY_PACKAGE, p);
    out << "  package " << p << ": PUs " << ctx.cpuset(LF_TOPOLOGY_PACKAGE, p);
    if (pkg.name[0] != '\0') out << "  " << pkg.name;
    out << "\n";
    for (uint32_t n = 0; n < info.numa_nodes; ++n) {
      lf_topology_object_t node = ctx.object(LF_TOPOLOGY_NUMA_NODE, n);
      if (node.package != p) continue;
      out << "    numa node " << index_text(node.os_index) << ": PUs " << ctx.cpuset(LF_TOPOLOGY_NUMA_NODE, n) << ", "
          << format_bytes(node.memory_bytes) << "\n";
    }
    out << "    cores:";
    for (uint32_t c = 0; c < info.cores; ++c) {
      lf_topology_object_t core = ctx.object(LF_TOPOLOGY_CORE, c);
      if (core.package != p) continue;
      out << " " << c << "(PU " << ctx.cpuset(LF_TOPOLOGY_CORE, c);
      const std::string near = ctx.nearest_numa_nodes(LF_TOPOLOGY_CORE, c);
      out << (near.empty() ? std::string(", no NUMA node") : ", NUMA " + near) << ")";
    }
    out << "\n";
  }
  for (uint32_t n = 0; n < info.numa_nodes; ++n) {  // nodes outside any package (memory-only, CXL)
    lf_topology_object_t node = ctx.object(LF_TOPOLOGY_NUMA_NODE, n);
    if (node.package == LF_TOPOLOGY_INDEX_NONE)
      out << "  numa node " << index_text(node.os_index) << " (no package): " << format_bytes(node.memory_bytes) << "\n";
  }
  if (info.pci_devices == 0) out << "  pci devices: none listed\n";
  for (uint32_t d = 0; d < info.pci_devices; ++d) {
    lf_topology_object_t dev = ctx.object(LF_TOPOLOGY_PCI_DEVICE, d);
    out << "  pci " << pci_address(dev) << ": " << dev.name << ((dev.flags & LF_TOPOLOGY_OBJECT_GPU) ? " [GPU]" : "")
        << ", NUMA node " << index_text(dev.numa_node) << ", near PUs " << ctx.cpuset(LF_TOPOLOGY_PCI_DEVICE, d) << "\n";
  }
  out << "binding: process " << ctx.binding(LF_BINDING_PROCESS) << ", thread " << ctx.binding(LF_BINDING_THREAD) << "\n";
}

void write_topology_json(JsonWriter &json, const lf::context &ctx) {
  lf_topology_info_t info = ctx.topology_info();
  json.begin_object();
  json.field("source", ctx.topology_source());
  json.field("is_this_system", info.is_this_system != 0);
  json.field("digest", hex64(info.digest));
  json.field("total_memory_bytes", info.total_memory_bytes);
  const struct {
    const char *name;
    lf_topology_object_type_t type;
    uint32_t count;
  } lists[] = {{"packages", LF_TOPOLOGY_PACKAGE, info.packages},
               {"numa_nodes", LF_TOPOLOGY_NUMA_NODE, info.numa_nodes},
               {"cores", LF_TOPOLOGY_CORE, info.cores},
               {"pus", LF_TOPOLOGY_PU, info.pus},
               {"pci_devices", LF_TOPOLOGY_PCI_DEVICE, info.pci_devices}};
  for (const auto &list : lists) {
    json.key(list.name).begin_array();
    for (uint32_t i = 0; i < list.count; ++i) {
      lf_topology_object_t o = ctx.object(list.type, i);
      json.begin_object();
      json.field("index", o.logical_index);
      json_index(json, "os_index", o.os_index);
      json_index(json, "package", o.package);
      json_index(json, "numa_node", o.numa_node);
      // (several where memory-side nodes sit beside DRAM: HBM, CXL, NVDIMM; "" when none holds it)
      json.field("nearest_numa_nodes", ctx.nearest_numa_nodes(list.type, i));
      json.field("cpuset", ctx.cpuset(list.type, i));
      if (list.type == LF_TOPOLOGY_NUMA_NODE) json.field("memory_bytes", o.memory_bytes);
      if (o.name[0] != '\0') json.field("name", o.name);
      if (list.type == LF_TOPOLOGY_PCI_DEVICE) {
        json.field("address", pci_address(o));
        json.field("vendor_id", o.pci_vendor_id);
        json.field("device_id", o.pci_device_id);
        json.field("class_id", o.pci_class_id);
        json.field("gpu", (o.flags & LF_TOPOLOGY_OBJECT_GPU) != 0);
      }
      json.end_object();
    }
    json.end_array();
  }
  json.key("binding").begin_object();
  json.field("process", ctx.binding(LF_BINDING_PROCESS));
  json.field("thread", ctx.binding(LF_BINDING_THREAD));
  json.end_object();
  json.end_object();
}

CLI::App *add_topo_command(CLI::App &app, GlobalOptions &options) {
  auto *cmd = app.add_subcommand("topo", "Show the hardware topology and this process's binding");
  auto json = std::make_shared<bool>(false);
  cmd->add_flag("--json", *json, "Print JSON instead of text");
  cmd->callback([&options, json] {
    lf::context ctx = make_context(options);
    if (*json) {
      JsonWriter writer(std::cout);
      write_topology_json(writer, ctx);
    } else {
      print_topology(std::cout, ctx);
    }
  });
  return cmd;
}

}  // namespace lavaflow_cli
