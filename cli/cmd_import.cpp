// selfheal import alerts|cluster|scenario — reality in (docs/import.md). Wiring only: the importers
// are in importer/, the history file in history/.
#include <boost/program_options.hpp>
#include <filesystem>
#include <iostream>

#include "cli/command.hpp"
#include "config/file_io.hpp"
#include "core/duration.hpp"
#include "engine/time_text.hpp"
#include "history/history.hpp"
#include "importer/alerts.hpp"
#include "importer/cluster.hpp"
#include "importer/kubectl_run.hpp"
#include "importer/prometheus_import.hpp"
#include "importer/scenario_import.hpp"
#include "importer/service_graph.hpp"

namespace po = boost::program_options;

namespace selfheal::cli {
namespace {

void print_import_errors(const core::Diagnostics& d, Io io) {
  for (const auto& e : d.errors())
    io.err << e.describe() << "\n";
}

int write_or_print(const std::string& out, const std::string& text, Io io) {
  if (out.empty() || out == "-") {
    io.out << text;
    return kExitOk;
  }
  if (auto w = config::atomic_write(out, text); !w) {
    io.err << "error: --out: " << w.error().describe() << "\n";
    return kExitBadInput;
  }
  return kExitOk;
}

int import_alerts(const Args& args, Io io) {
  po::options_description opts(
      "usage: selfheal import alerts [--webhook-log FILE]... [--audit STATE.db]... "
      "[--prometheus URL --from T --until T [--step 1m]] [--out HISTORY.json]\n\n"
      "Write one normalised alert history (docs/import.md#the-history-file) from:\n"
      "  --webhook-log  Alertmanager webhook payloads (version 4), one JSON document per line\n"
      "  --audit        `selfheal serve`'s SQLite state database (read-only)\n"
      "  --prometheus   ALERTS{alertstate=\"firing\"} through /api/v1/query_range\n"
      "Any bad line or row fails the whole import (exit 2, file:line: field: message):\n"
      "a partial history is never written.\n\noptions");
  opts.add_options()("help,h", "show this help")(
      "webhook-log", po::value<std::vector<std::string>>(), "webhook payload log (repeatable)")(
      "audit", po::value<std::vector<std::string>>(), "serve state database (repeatable)")(
      "prometheus", po::value<std::string>(),
      "Prometheus base URL (http://host:9090): ALERTS over --from .. --until")(
      "from", po::value<std::string>(), "with --prometheus: range start (RFC 3339)")(
      "until", po::value<std::string>(), "with --prometheus: range end (RFC 3339)")(
      "step", po::value<std::string>()->default_value("1m"),
      "with --prometheus: query_range resolution")(
      "out,o", po::value<std::string>()->default_value("-"), "history file (- = stdout)");
  po::options_description hidden;
  po::positional_options_description pos;
  po::variables_map vm;
  if (int rc = parse_options(args, opts, hidden, pos, vm, io); rc >= 0) return rc;
  if (vm.count("webhook-log") == 0U && vm.count("audit") == 0U && vm.count("prometheus") == 0U) {
    io.err << "error: give at least one --webhook-log, --audit or --prometheus\n\n" << opts;
    return kExitBadInput;
  }
  std::optional<importer::PrometheusRange> prom;
  if (vm.count("prometheus") != 0U) {
    importer::PrometheusRange range;
    range.url = vm["prometheus"].as<std::string>();
    auto from = vm.count("from") ? engine::parse_time(vm["from"].as<std::string>()) : std::nullopt;
    auto until =
        vm.count("until") ? engine::parse_time(vm["until"].as<std::string>()) : std::nullopt;
    auto step = core::parse_duration(vm["step"].as<std::string>());
    if (!from || !until || !step) {
      io.err << "error: --prometheus needs --from and --until (RFC 3339, e.g. "
                "2026-11-01T00:00:00Z) and a valid --step\n";
      return kExitBadInput;
    }
    range.from = *from;
    range.until = *until;
    range.step = step.value();
    prom = range;
  }
  core::Diagnostics diags;
  std::vector<std::string> notes;
  std::vector<history::History> parts;
  auto take = [&](std::optional<history::History> h) {
    if (h) parts.push_back(std::move(*h));
  };
  if (vm.count("webhook-log") != 0U)
    for (const auto& f : vm["webhook-log"].as<std::vector<std::string>>())
      take(importer::import_webhook_log(f, diags, notes));
  if (vm.count("audit") != 0U)
    for (const auto& f : vm["audit"].as<std::vector<std::string>>())
      take(importer::import_audit_db(f, diags, notes));
  if (prom) take(importer::import_prometheus(*prom, diags));
  if (!diags.empty()) {
    print_import_errors(diags, io);
    io.err << "import failed: nothing written\n";
    return kExitBadInput;
  }
  auto merged = importer::merge_histories(std::move(parts), diags);
  if (!merged) {
    print_import_errors(diags, io);
    io.err << "import failed: nothing written\n";
    return kExitBadInput;
  }
  for (const auto& n : notes)
    io.err << "note: " << n << "\n";
  std::size_t firings = 0;
  for (const auto& a : merged->alerts)
    firings += a.firings.size();
  io.err << "imported " << merged->alerts.size() << " alerts, " << firings << " firings\n";
  return write_or_print(vm["out"].as<std::string>(), history::to_json_text(*merged), io);
}

int import_cluster(const Args& args, Io io) {
  po::options_description opts(
      "usage: selfheal import cluster (KUBECTL.json | --kubectl [--context CTX]) [--namespace NS]\n"
      "                               [--prometheus URL [--graph-window 1d]] [--out "
      "CLUSTER.yaml]\n\n"
      "Write the `cluster:` part of a scenario from the output of (a file, or run with --kubectl)\n"
      "  kubectl get deployments,statefulsets,services,horizontalpodautoscalers -A -o json\n"
      "Every guessed value is marked by a YAML comment; dependencies come from the\n"
      "annotation selfheal.io/depends-on, then (with --prometheus) the service-graph metrics\n"
      "traces_service_graph_request_total and istio_requests_total, which also give traffic\n"
      "(docs/import.md#import-cluster). Exit 2 on bad input.\n\noptions");
  opts.add_options()("help,h", "show this help")(
      "kubectl", "run kubectl (from PATH; argv only, no shell) instead of reading a file")(
      "context", po::value<std::string>()->default_value(""),
      "with --kubectl: the kubeconfig context (a DNS-1123 name)")(
      "prometheus", po::value<std::string>(),
      "Prometheus base URL (http://host:9090): dependencies and traffic from the service graph")(
      "graph-window", po::value<std::string>()->default_value("1d"),
      "with --prometheus: the rate window (traffic.rps is its mean)")(
      "out,o", po::value<std::string>()->default_value("-"), "YAML file (- = stdout)")(
      "namespace,n", po::value<std::string>()->default_value(""),
      "the namespace to import (needed when the objects span several)");
  po::variables_map vm;
  if (int rc = parse_options(args, opts, "args", vm, io); rc >= 0) return rc;
  const bool run_kubectl = vm.count("kubectl") != 0U;
  const std::size_t files =
      vm.count("args") == 0U ? 0 : vm["args"].as<std::vector<std::string>>().size();
  if (files != (run_kubectl ? 0U : 1U) ||
      (!run_kubectl && !vm["context"].as<std::string>().empty())) {
    io.err << "error: give exactly one kubectl JSON file, or --kubectl (with --context)\n\n"
           << opts;
    return kExitBadInput;
  }
  core::Diagnostics diags;
  std::optional<importer::ImportedCluster> cluster;
  if (run_kubectl)
    cluster = importer::import_cluster_kubectl(
        {"kubectl", vm["namespace"].as<std::string>(), vm["context"].as<std::string>()}, diags);
  else
    cluster = importer::import_cluster_file(vm["args"].as<std::vector<std::string>>()[0], diags,
                                            vm["namespace"].as<std::string>());
  if (cluster && vm.count("prometheus") != 0U) {
    auto window = core::parse_duration(vm["graph-window"].as<std::string>());
    if (!window || window.value() < std::chrono::seconds{1}) {
      io.err << "error: --graph-window: a duration of at least 1s (e.g. 1h, 1d)\n";
      return kExitBadInput;
    }
    const std::string url = vm["prometheus"].as<std::string>();
    auto edges = importer::query_service_graph({url, window.value(), cluster->ns}, diags);
    if (edges)
      importer::apply_service_graph(
          *cluster, *edges,
          "Prometheus " + url + " (rate over " + vm["graph-window"].as<std::string>() + ")");
    else
      cluster.reset();
  }
  if (!cluster) {
    print_import_errors(diags, io);
    io.err << "import failed: nothing written\n";
    return kExitBadInput;
  }
  return write_or_print(vm["out"].as<std::string>(), importer::to_cluster_yaml(*cluster), io);
}

// The policy path as the scenario must say it: relative to the scenario file's folder.
std::string policies_from(const std::string& policies, const std::string& out) {
  namespace fs = std::filesystem;
  if (out.empty() || out == "-" || fs::path(policies).is_absolute()) return policies;
  const fs::path dir = fs::absolute(out).parent_path();
  return fs::absolute(policies).lexically_normal().lexically_relative(dir).generic_string();
}

int import_scenario(const Args& args, Io io) {
  po::options_description opts(
      "usage: selfheal import scenario HISTORY.json --cluster CLUSTER.yaml --policies P.yaml\n"
      "                                (--incident FINGERPRINT | --at TIME) [--name N]\n"
      "                                [--lead 10m] [--tail 30m] [--out SCENARIO.yaml]\n\n"
      "Turn one incident of an alert history (from `selfheal import alerts`) and a cluster\n"
      "(from `selfheal import cluster`) into a scenario `selfheal run` replays: each firing\n"
      "becomes a fault of the kind its alert suggests, at the time it fired, every guess in a\n"
      "comment (docs/import.md#import-scenario). Exit 2 on bad input.\n\noptions");
  opts.add_options()("help,h", "show this help")(
      "cluster", po::value<std::string>(), "the cluster: YAML `selfheal import cluster` wrote")(
      "policies", po::value<std::string>(), "the policy file the scenario runs")(
      "incident", po::value<std::string>()->default_value(""),
      "the alert's fingerprint (its firing active at --at, else its first)")(
      "at", po::value<std::string>(), "a time in the incident (RFC 3339)")(
      "name", po::value<std::string>()->default_value(""),
      "the scenario's name (default incident-<target>-<time>)")(
      "lead", po::value<std::string>()->default_value("10m"),
      "the scenario starts this long before the first firing")(
      "tail", po::value<std::string>()->default_value("30m"),
      "and lasts until this long after the last one ended")(
      "out,o", po::value<std::string>()->default_value("-"), "scenario file (- = stdout)");
  po::variables_map vm;
  if (int rc = parse_options(args, opts, "args", vm, io); rc >= 0) return rc;
  if (vm.count("args") == 0U || vm["args"].as<std::vector<std::string>>().size() != 1 ||
      vm.count("cluster") == 0U || vm.count("policies") == 0U) {
    io.err << "error: give one history file, --cluster and --policies\n\n" << opts;
    return kExitBadInput;
  }
  importer::ScenarioImportOptions o;
  o.fingerprint = vm["incident"].as<std::string>();
  o.name = vm["name"].as<std::string>();
  const std::string out = vm["out"].as<std::string>();
  o.policies = policies_from(vm["policies"].as<std::string>(), out);
  if (vm.count("at") != 0U) {
    o.at = engine::parse_time(vm["at"].as<std::string>());
    if (!o.at) {
      io.err << "error: --at: not an RFC 3339 time (e.g. 2026-11-27T18:05:00Z)\n";
      return kExitBadInput;
    }
  }
  auto lead = core::parse_duration(vm["lead"].as<std::string>());
  auto tail = core::parse_duration(vm["tail"].as<std::string>());
  if (!lead || !tail) {
    io.err << "error: --lead and --tail take durations (e.g. 10m)\n";
    return kExitBadInput;
  }
  o.lead = lead.value();
  o.tail = tail.value();
  const std::string history_file = vm["args"].as<std::vector<std::string>>()[0];
  o.history_source = history_file;
  core::Diagnostics diags;
  auto h = history::read_history_file(history_file, diags);
  const std::string cluster_file = vm["cluster"].as<std::string>();
  auto cluster_text = config::read_file(cluster_file);
  if (!cluster_text) diags.add(cluster_text.error());
  std::optional<importer::ClusterView> cluster;
  if (cluster_text)
    cluster = importer::read_cluster_yaml(cluster_text.value(), cluster_file, diags);
  std::optional<std::string> yaml;
  if (h && cluster) yaml = importer::import_scenario(*h, *cluster, o, diags);
  if (!yaml) {
    print_import_errors(diags, io);
    io.err << "import failed: nothing written\n";
    return kExitBadInput;
  }
  return write_or_print(out, *yaml, io);
}

}  // namespace

int cmd_import(const Args& args, Io io) {
  const std::string usage =
      "usage: selfheal import alerts|cluster|scenario [options]\n"
      "  alerts    alert history from webhook logs, serve's audit, Prometheus -> history file\n"
      "  cluster   kubectl JSON (+ Prometheus's service graph) -> a scenario's cluster: section\n"
      "  scenario  one incident of a history + a cluster -> a scenario `selfheal run` replays\n"
      "Run `selfheal import SOURCE --help`.\n";
  if (args.empty()) {
    io.err << usage;
    return kExitBadInput;
  }
  const Args rest(args.begin() + 1, args.end());
  if (args[0] == "alerts") return import_alerts(rest, io);
  if (args[0] == "cluster") return import_cluster(rest, io);
  if (args[0] == "scenario") return import_scenario(rest, io);
  if (args[0] == "--help" || args[0] == "-h") {
    io.out << usage;
    return kExitOk;
  }
  io.err << "error: unknown import source '" << args[0] << "'\n" << usage;
  return kExitBadInput;
}

}  // namespace selfheal::cli
