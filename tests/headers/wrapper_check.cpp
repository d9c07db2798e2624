// The C++ wrapper compiles as C++20 on its own (pedantic, every warning an error), and its
// types behave as documented: handles and guards move but do not copy, moves never throw,
// destructors never throw.
#include <lavaflow/lavaflow.hpp>
#ifdef LAVAFLOW_HAVE_MPI_HEADER
#include <lavaflow/lavaflow_mpi.hpp>
#endif

#include <type_traits>

template <typename T>
constexpr bool move_only_v = !std::is_copy_constructible_v<T> && !std::is_copy_assignable_v<T> &&
                             std::is_nothrow_move_constructible_v<T> && std::is_nothrow_move_assignable_v<T> &&
                             std::is_nothrow_destructible_v<T>;

static_assert(move_only_v<lf::context> && move_only_v<lf::identity> && move_only_v<lf::scope>);
static_assert(move_only_v<lf::buffer> && move_only_v<lf::buffer_pool> && move_only_v<lf::unique_fd>);
static_assert(move_only_v<lf::producer> && move_only_v<lf::consumer> && move_only_v<lf::loan> && move_only_v<lf::message>);
static_assert(move_only_v<lf::pool_producer> && move_only_v<lf::pool_consumer> && move_only_v<lf::pool_driver>);
static_assert(move_only_v<lf::frame_loan> && move_only_v<lf::frame>);
#ifdef LAVAFLOW_HAVE_MPI_HEADER
static_assert(move_only_v<lf::mpi> && move_only_v<lf::mpi_pool_bridge>);
#endif
static_assert(std::is_base_of_v<std::runtime_error, lf::error>, "lf::error is a runtime_error");
static_assert(std::is_trivially_copyable_v<lf::buffer_view>, "a view is a pointer");
static_assert(lf::timeout(std::chrono::microseconds(1)).milliseconds() == 1, "a partial millisecond waits one");
static_assert(lf::wait_forever.milliseconds() == -1 && lf::no_wait.milliseconds() == 0);
static_assert(lf::timeout(std::chrono::seconds(-3)).milliseconds() == 0, "a negative duration does not wait");
static_assert(lf::timeout(std::chrono::hours(24 * 365 * 1000)).nanoseconds() == INT64_MAX, "saturates");
static_assert(lf::dtype_size(LF_DTYPE_FLOAT32) == 4 && lf::dtype_size(LF_DTYPE_BIT) == 0);

int lf_wrapper_check(void);
int lf_wrapper_check(void) { return 0; }
