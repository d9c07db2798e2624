#include "capi/handles.hpp"

#include "core/error.hpp"

namespace lavaflow::capi {

namespace {

uint64_t value_of(const void *handle) { return static_cast<uint64_t>(reinterpret_cast<uintptr_t>(handle)); }

}  // namespace

void refuse_handle(core::HandleProblem problem, const void *handle, core::HandleType expected, core::HandleType actual,
                   const char *name) {
  const char *want = core::handle_type_name(expected);
  switch (problem) {
    case core::HandleProblem::null:
      core::fail(LF_ERR_INVALID_HANDLE, "%s is NULL (expected an lf_%s_t handle)", name, want);
    case core::HandleProblem::wrong_type:
      core::fail(LF_ERR_INVALID_HANDLE, "%s is an lf_%s_t handle, expected an lf_%s_t", name,
                 core::handle_type_name(actual), want);
    case core::HandleProblem::destroyed:
      core::fail(LF_ERR_INVALID_HANDLE, "%s (%p) was already destroyed", name, handle);
    case core::HandleProblem::foreign:
    case core::HandleProblem::none:
      break;
  }
  core::fail(LF_ERR_INVALID_HANDLE, "%s (%p) is not a lavaflow handle", name, handle);
}

core::HandleRef acquire_handle(const void *handle, core::HandleType type, const char *name) {
  core::HandleRef ref;
  core::HandleType actual = type;
  core::HandleProblem problem = core::HandleTable::instance().acquire(value_of(handle), type, ref, actual);
  if (problem != core::HandleProblem::none) refuse_handle(problem, handle, type, actual, name);
  return ref;
}

std::shared_ptr<core::Object> share_handle(const void *handle, core::HandleType type, const char *name) {
  std::shared_ptr<core::Object> object;
  core::HandleType actual = type;
  core::HandleProblem problem = core::HandleTable::instance().share(value_of(handle), type, object, actual);
  if (problem != core::HandleProblem::none) refuse_handle(problem, handle, type, actual, name);
  return object;
}

void retire_owned_handle(const void *handle, core::HandleType type) noexcept {
  core::HandleType actual = type;
  (void)core::HandleTable::instance().retire(value_of(handle), type, actual);
}

void retire_handle(const void *handle, core::HandleType type, const char *name) {
  if (handle == nullptr) return;
  core::HandleType actual = type;
  core::HandleProblem problem = core::HandleTable::instance().retire(value_of(handle), type, actual);
  if (problem != core::HandleProblem::none) refuse_handle(problem, handle, type, actual, name);
}

}  // namespace lavaflow::capi
