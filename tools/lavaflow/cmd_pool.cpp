// lavaflow pool inspect PATH: validate a tensor pool region file and print its superblock and
// newest committed frames (lf_pool_inspect). `pool ls` and `pool top`: cmd_pool_status.cpp.
#include "cli_common.hpp"

#include <lavaflow/pool.h>

#include <iostream>
#include <string>

namespace lavaflow_cli {

namespace {

const char *region_type_name(int32_t type) {
  switch (type) {
    case LF_POOL_REGION_HEADER_RING: return "header ring";
    case LF_POOL_REGION_PAYLOAD_POOL: return "payload pool";
    case LF_POOL_REGION_CONTROL: return "control";
    default: return "invalid";
  }
}

std::string shape_of(const lf_pool_frame_info_t &f) {
  std::string text;
  for (uint32_t i = 0; i < f.ndims && i < LF_POOL_MAX_DIMS; ++i) text += (i ? "x" : "") + std::to_string(f.dims[i]);
  return text;
}

void write_json(const lf_pool_region_info_t &r, const std::vector<lf_pool_frame_info_t> &frames, const std::string &path) {
  JsonWriter w(std::cout);
  w.begin_object().field("path", path).field("region_type", region_type_name(r.region_type));
  w.field("layout_version", r.layout_version).field("stream_id", r.stream_id).field("epoch", r.epoch);
  w.field("pool_id", r.pool_id).field("nslots", r.nslots).field("slot_bytes", r.slot_bytes);
  w.field("stride_bytes", r.stride_bytes).field("pid", r.pid).field("start_timestamp_ns", r.start_timestamp_ns);
  w.field("activity_timestamp_ns", r.activity_timestamp_ns).field("file_bytes", r.file_bytes);
  w.field("committed_slots", r.committed_slots).field("invalid_slots", r.invalid_slots);
  w.key("frames").begin_array();
  for (const auto &f : frames) {
    w.begin_object().field("seq", f.seq).field("slot", f.slot).field("timestamp_ns", f.timestamp_ns);
    w.field("dtype", lf_dtype_name(f.dtype)).field("shape", shape_of(f)).field("values_len_bytes", f.values_len_bytes);
    w.field("pool_id", f.pool_id).field("meta_version", f.meta_version);
    w.key("strides").begin_array();
    for (uint32_t i = 0; i < f.ndims && i < LF_POOL_MAX_DIMS; ++i) w.value(f.strides[i]);
    w.end_array().end_object();
  }
  w.end_array().end_object();
}

}  // namespace

CLI::App *add_pool_command(CLI::App &app, GlobalOptions &options) {
  auto *pool = app.add_subcommand("pool", "Tensor pool streams: list them, watch their rates and drops, inspect region files");
  pool->require_subcommand(1);

  auto *inspect = pool->add_subcommand("inspect", "Validate a region file; print its superblock and newest committed frames");
  auto path = std::make_shared<std::string>();
  auto frames = std::make_shared<uint32_t>(8);
  auto json = std::make_shared<bool>(false);
  inspect->add_option("path", *path, "Absolute path of a region file under <base>/lavaflow-<uid>/")->required();
  inspect->add_option("--frames", *frames, "How many of the newest frames to print (default 8)");
  inspect->add_flag("--json", *json, "Print JSON instead of text");
  inspect->callback([&options, path, frames, json] {
    lf::context ctx = make_context(options);
    lf_pool_region_info_t region{};
    region.struct_size = sizeof region;
    std::vector<lf_pool_frame_info_t> found(*frames);
    for (auto &f : found) f.struct_size = sizeof f;
    uint32_t count = 0;
    lf::check(lf_pool_inspect(ctx.get(), path->c_str(), &region, found.data(), *frames, &count));
    found.resize(count);
    if (*json) return write_json(region, found, *path);
    std::cout << *path << ": " << region_type_name(region.region_type) << ", layout " << region.layout_version
              << ", stream " << region.stream_id << ", epoch " << region.epoch << "\n";
    std::cout << "  " << region.nslots << " slots of "
              << (region.region_type == LF_POOL_REGION_PAYLOAD_POOL ? region.stride_bytes : region.slot_bytes)
              << " bytes" << (region.region_type == LF_POOL_REGION_PAYLOAD_POOL ? ", pool " + std::to_string(region.pool_id) : "")
              << "; " << format_bytes(region.file_bytes) << "; producer pid " << region.pid << "\n";
    std::cout << "  started " << region.start_timestamp_ns << " ns, last activity " << region.activity_timestamp_ns << " ns\n";
    if (region.region_type != LF_POOL_REGION_HEADER_RING) return;
    std::cout << "  " << region.committed_slots << " committed frame(s), " << region.invalid_slots
              << " invalid slot(s)" << (region.committed_slots ? ", newest seq " + std::to_string(region.newest_seq) : "")
              << "\n";
    for (const auto &f : found)
      std::cout << "  seq " << f.seq << " (slot " << f.slot << "): " << lf_dtype_name(f.dtype) << " " << shape_of(f) << ", "
                << f.values_len_bytes << " bytes in pool " << f.pool_id << ", t=" << f.timestamp_ns << " ns, meta v"
                << f.meta_version << "\n";
  });

  add_pool_status_commands(*pool, options);
  return pool;
}

}  // namespace lavaflow_cli
