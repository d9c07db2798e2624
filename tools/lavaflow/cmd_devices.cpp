// lavaflow devices: the Vulkan devices lavaflow can allocate exportable memory on.
#include "cli_common.hpp"

#include <cstdio>
#include <iostream>

namespace lavaflow_cli {

namespace {

std::string uuid_text(const uint8_t *uuid) {
  char text[40];
  char *p = text;
  for (int i = 0; i < 16; ++i) p += std::snprintf(p, 3, "%02x", uuid[i]);
  return text;
}

std::string numa_text(const lf_device_info_t &d) {
  return (d.flags & LF_DEVICE_NUMA_KNOWN) ? std::to_string(d.numa_node) : std::string("unknown");
}

}  // namespace

CLI::App *add_devices_command(CLI::App &app, GlobalOptions &options) {
  auto *cmd = app.add_subcommand("devices", "List the Vulkan devices, their UUIDs, NUMA nodes and export support");
  auto json = std::make_shared<bool>(false);
  cmd->add_flag("--json", *json, "Print JSON instead of text");
  cmd->callback([&options, json] {
    lf::context ctx = make_context(options);
    uint32_t count = 0;
    lf::check(lf_device_count(ctx.get(), &count));
    std::vector<lf_device_info_t> devices(count);
    for (uint32_t i = 0; i < count; ++i) {
      devices[i].struct_size = sizeof devices[i];
      lf::check(lf_device_get_info(ctx.get(), i, &devices[i]));
    }
    if (*json) {
      JsonWriter w(std::cout);
      w.begin_array();
      for (const auto &d : devices) {
        w.begin_object().field("index", d.index).field("name", d.name).field("type", lf_device_type_name(d.type));
        w.field("vendor_id", d.vendor_id).field("device_id", d.device_id);
        w.field("device_uuid", uuid_text(d.device_uuid)).field("driver_uuid", uuid_text(d.driver_uuid));
        w.field("numa_node", numa_text(d)).field("device_local_bytes", d.device_local_bytes);
        w.field("export_opaque_fd", (d.flags & LF_DEVICE_EXPORT_OPAQUE_FD) != 0);
        w.field("export_dma_buf", (d.flags & LF_DEVICE_EXPORT_DMA_BUF) != 0);
        w.field("export_timeline_semaphore", (d.flags & LF_DEVICE_EXPORT_TIMELINE_SEMAPHORE) != 0);
        w.field("maps_host_memory", (d.flags & LF_DEVICE_MAPS_HOST_MEMORY) != 0);
        w.end_object();
      }
      w.end_array();
      return;
    }
    if (count == 0) std::cout << "no Vulkan devices\n";
    for (const auto &d : devices) {
      std::cout << "device " << d.index << ": " << d.name << " (" << lf_device_type_name(d.type) << ")\n";
      std::cout << "  uuid " << uuid_text(d.device_uuid) << ", driver " << uuid_text(d.driver_uuid) << "\n";
      if (d.flags & LF_DEVICE_PCI_KNOWN) {
        char pci[32];
        std::snprintf(pci, sizeof pci, "%04x:%02x:%02x.%x", d.pci_domain, d.pci_bus, d.pci_device, d.pci_function);
        std::cout << "  pci " << pci << ", ";
      } else {
        std::cout << "  no PCI address, ";
      }
      std::cout << "NUMA node " << numa_text(d) << ", " << format_bytes(d.device_local_bytes) << " device-local\n";
      std::cout << "  export: " << ((d.flags & LF_DEVICE_EXPORT_OPAQUE_FD) ? "opaque fd" : "none")
                << ((d.flags & LF_DEVICE_EXPORT_DMA_BUF) ? ", DMA-BUF" : "")
                << ((d.flags & LF_DEVICE_EXPORT_TIMELINE_SEMAPHORE) ? "; timeline semaphores" : "; no semaphores") << "\n";
      std::cout << "  host memory: " << ((d.flags & LF_DEVICE_MAPS_HOST_MEMORY) ? "mapped (VK_EXT_external_memory_host)" : "not mapped")
                << "\n";
    }
  });
  return cmd;
}

}  // namespace lavaflow_cli
