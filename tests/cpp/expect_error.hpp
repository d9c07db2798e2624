// The C++ wrapper's tests: run a call that must throw lf::error with a given status.
#ifndef LF_TEST_EXPECT_ERROR_HPP
#define LF_TEST_EXPECT_ERROR_HPP

#include <lavaflow/lavaflow.hpp>

#include "lf_test.h"

#include <string>

// Runs `f`, which must throw lf::error with `status` (the test fails otherwise); returns the
// error's message.
template <typename F>
std::string expect_error(lf_status_t status, F f) {
  try {
    f();
  } catch (const lf::error &e) {
    if (e.status() != status) fail_msg("lf::error %s (%s), expected %s", e.name(), e.what(), lf_status_name(status));
    return e.what();
  }
  fail_msg("no lf::error, expected %s", lf_status_name(status));
  return {};
}

#endif
