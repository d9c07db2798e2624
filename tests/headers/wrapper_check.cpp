// The C++ wrapper compiles as C++17 on its own, and its types behave as documented.
#include <lavaflow/lavaflow.hpp>

#include <type_traits>

static_assert(!std::is_copy_constructible_v<lf::context>, "handles are move-only");
static_assert(std::is_nothrow_move_constructible_v<lf::identity>, "moving a handle never throws");
static_assert(std::is_base_of_v<std::runtime_error, lf::error>, "lf::error is a runtime_error");

int lf_wrapper_check(void);
int lf_wrapper_check(void) { return 0; }
