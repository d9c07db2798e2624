// The objects behind the C handles. Each keeps its parent context alive, so that handles
// can be destroyed in any order (c-api.md rule 2).
#pragma once

#include "context/context.hpp"
#include "core/handle_table.hpp"
#include "topo/identity.hpp"
#include "topo/scope.hpp"

#include <memory>

namespace lavaflow::capi {

using ContextPtr = std::shared_ptr<const context::Context>;

struct ContextObject final : core::Object {
  explicit ContextObject(ContextPtr c) : Object(core::HandleType::context), context(std::move(c)) {}
  ContextPtr context;
};

struct IdentityObject final : core::Object {
  IdentityObject(ContextPtr c, topo::Identity i)
      : Object(core::HandleType::identity), context(std::move(c)), identity(std::move(i)) {}
  ContextPtr context;
  const topo::Identity identity;
};

struct ScopeObject final : core::Object {
  ScopeObject(ContextPtr c, const topo::ScopeDecision &d, topo::ScopeExplanation e)
      : Object(core::HandleType::scope), context(std::move(c)), decision(d), explanation(std::move(e)) {}
  ContextPtr context;
  const topo::ScopeDecision decision;
  const topo::ScopeExplanation explanation;
};

}  // namespace lavaflow::capi
