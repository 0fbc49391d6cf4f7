// `selfheal import cluster --kubectl`: runs kubectl itself and imports what it prints
// (docs/import.md#running-kubectl---kubectl). argv only, never a shell; the namespace and
// the context go through the one name check (config/names.hpp) before anything runs.
//
//   core::Diagnostics diags;
//   auto c = importer::import_cluster_kubectl({"kubectl", "prod", ""}, diags);
//
// The command: kubectl get deployments,statefulsets,services,horizontalpodautoscalers
// -o json --request-timeout=60s, then `-n NS` (or `-A` without a namespace) and
// `--context=CTX` when given. kubectl is looked up in PATH (unless it contains '/'). Its
// stdout is the List (at most kMaxKubectlOutput bytes); its stderr (warnings) is only
// quoted when it fails.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "importer/cluster.hpp"

namespace selfheal::importer {

/// kubectl's own deadline for the API call (its --request-timeout).
inline constexpr const char* kKubectlRequestTimeout = "60s";
/// The List of a large cluster is far more than a config file; more than this is an error.
inline constexpr std::size_t kMaxKubectlOutput = std::size_t{256} << 20;
/// How much of kubectl's stderr an error quotes.
inline constexpr std::size_t kStderrQuote = 2000;

struct KubectlRun {
  std::string kubectl = "kubectl";  ///< the program (PATH lookup unless it has a '/')
  std::string ns;                   ///< "" = every namespace (-A)
  std::string context;              ///< "" = kubectl's current context
};

/// The argv, or an error when the namespace or the context is not a DNS-1123 name.
core::Result<std::vector<std::string>> kubectl_argv(const KubectlRun& run);

/// Runs kubectl and imports its List; nullopt with errors (the command that failed, its
/// exit status and stderr; or the List's own errors, named after the command).
std::optional<ImportedCluster> import_cluster_kubectl(const KubectlRun& run,
                                                      core::Diagnostics& diags);

}  // namespace selfheal::importer
