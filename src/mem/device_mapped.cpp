#include "mem/device_mapped.hpp"

namespace lavaflow::mem {

class DeviceMappedMemory final : public Memory {
 public:
  DeviceMappedMemory(MemoryPtr inner, std::unique_ptr<DeviceMapping> mapping)
      : inner_(std::move(inner)), mapping_(std::move(mapping)) {
    host = inner_->host;
    size = inner_->size;
    mapped_size = inner_->mapped_size;
    page_size = inner_->page_size;
    alignment = inner_->alignment;
    kind = inner_->kind;
    requested_kind = inner_->requested_kind;
    flags = inner_->flags | LF_BUFFER_DEVICE_MAPPED;
    numa_node = inner_->numa_node;
    device_index = mapping_->device_index;
    policy = inner_->policy;
    huge_note = inner_->huge_note;
    fallback_note = inner_->fallback_note;
  }
  // The device lets go of the pages before they are freed.
  ~DeviceMappedMemory() override { mapping_.reset(); }

  int export_fd() const override { return inner_->export_fd(); }
  ExportDescriptor describe_export() const override {
    ExportDescriptor d = inner_->describe_export();
    d.usable = size;
    return d;
  }
  const DeviceMapping &mapping() const noexcept { return *mapping_; }

 protected:
  std::string describe() const override { return inner_->describe() + ", " + mapping_->description; }

 private:
  MemoryPtr inner_;
  std::unique_ptr<DeviceMapping> mapping_;
};

MemoryPtr with_device_mapping(MemoryPtr inner, std::unique_ptr<DeviceMapping> mapping) {
  return std::make_unique<DeviceMappedMemory>(std::move(inner), std::move(mapping));
}

const DeviceMapping *device_mapping_of(const Memory &memory) noexcept {
  const auto *mapped = dynamic_cast<const DeviceMappedMemory *>(&memory);
  return mapped == nullptr ? nullptr : &mapped->mapping();
}

}  // namespace lavaflow::mem
