#include "topo/identity.hpp"

#include "core/error.hpp"
#include "topo/host_facts.hpp"
#include "topo/topology.hpp"

namespace lavaflow::topo {

Identity take_identity(const Topology &topology, const std::string &base_dir, const IdentityRequest &request) {
  Identity id;
  read_host_facts(id);
  read_process_facts(id);
  read_base_dir_facts(base_dir, id);

  if (request.cpuset != nullptr) {
    id.cpuset = core::Bitmap::parse_list(request.cpuset);
    if (!id.cpuset.is_subset_of(topology.complete_cpuset()))
      core::fail(LF_ERR_INVALID_ARGUMENT, "cpuset '%s' is not inside the topology's PUs %s (%s)", request.cpuset,
                 topology.complete_cpuset().to_list().c_str(), topology.source().describe().c_str());
    id.flags |= LF_IDENTITY_CPUSET_GIVEN;
  } else {
    id.cpuset = topology.binding(request.thread_binding ? LF_BINDING_THREAD : LF_BINDING_PROCESS);
    if (request.thread_binding) id.flags |= LF_IDENTITY_THREAD_BINDING;
  }
  // (Any of these may be empty: PUs no NUMA node covers, topologies without packages. Scope
  // is then decided from what there is.)
  id.numa_nodes = topology.numa_nodes_of(id.cpuset);
  id.packages = topology.packages_of(id.cpuset);
  id.local_numa_nodes = topology.numa_nodes_containing(id.cpuset);
  id.local_packages = topology.packages_containing(id.cpuset);
  id.topology_digest = topology.digest();
  id.topology_source = topology.source().kind;
  return id;
}

}  // namespace lavaflow::topo
