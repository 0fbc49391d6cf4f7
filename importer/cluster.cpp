// The kubectl List reader and the guesses. A guess is only ever a comment plus a value the
// user can change: the YAML must say which values were read and which were inferred.
#include "importer/cluster.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <set>
#include <sstream>

#include "config/file_io.hpp"
#include "config/json_reader.hpp"
#include "config/messages.hpp"
#include "config/names.hpp"
#include "sim/model_constants.hpp"

namespace selfheal::importer {
namespace {

using config::JsonReader;
using nlohmann::json;

constexpr long long kMiB = 1LL << 20;

// Image or label words that suggest a kind, checked in this order.
struct KindHint {
  const char* word;
  const char* kind;
};
constexpr KindHint kHints[] = {
    {"postgres", "database"}, {"mysql", "database"},     {"mariadb", "database"},
    {"mongo", "database"},    {"cockroach", "database"}, {"cassandra", "database"},
    {"redis", "cache"},       {"memcached", "cache"},    {"valkey", "cache"},
    {"worker", "worker"},     {"consumer", "worker"},    {"queue", "worker"},
};
// Labels whose values name what a workload is (the recommended Kubernetes labels first).
constexpr const char* kKindLabels[] = {"app.kubernetes.io/component", "app.kubernetes.io/name",
                                       "component", "tier", "app"};

// `j[key]` when `j` is an object holding a value of the expected kind, else an empty one:
// Kubernetes objects are read leniently where kubectl itself may omit a field, and a field
// of the wrong kind never throws.
json object_at(const json& j, const char* key) {
  if (!j.is_object() || !j.contains(key) || !j.at(key).is_object()) return json::object();
  return j.at(key);
}
json array_at(const json& j, const char* key) {
  if (!j.is_object() || !j.contains(key) || !j.at(key).is_array()) return json::array();
  return j.at(key);
}

std::string lower_label(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::string str_at(const json& j, std::initializer_list<const char*> path) {
  const json* cur = &j;
  for (const char* k : path) {
    if (!cur->is_object() || !cur->contains(k)) return {};
    cur = &cur->at(k);
  }
  return cur->is_string() ? cur->get<std::string>() : std::string();
}

void guess_kind(const json& item, const std::vector<std::string>& images, ImportedService& s) {
  const json labels = object_at(object_at(item, "metadata"), "labels");
  for (const char* l : kKindLabels) {
    if (!labels.contains(l) || !labels.at(l).is_string()) continue;
    const std::string v = lower_label(labels.at(l).get<std::string>());
    for (const auto& h : kHints) {
      if (v.find(h.word) != std::string::npos) {
        s.kind = h.kind;
        s.kind_reason = std::string("label ") + l + "=" + labels.at(l).get<std::string>();
        return;
      }
    }
  }
  for (const auto& img : images) {
    const std::string v = lower_label(img);
    for (const auto& h : kHints) {
      if (v.find(h.word) != std::string::npos) {
        s.kind = h.kind;
        s.kind_reason = "image " + img;
        return;
      }
    }
  }
  s.kind = "api";
  s.kind_reason = "no database, cache or worker hint in labels or images";
}

std::vector<std::string> split_list(const std::string& v) {
  std::vector<std::string> out;
  std::stringstream ss(v);
  std::string part;
  while (std::getline(ss, part, ',')) {
    part.erase(0, part.find_first_not_of(" \t"));
    part.erase(part.find_last_not_of(" \t") + 1);
    if (!part.empty()) out.push_back(part);
  }
  return out;
}

// A Deployment or StatefulSet. Returns nullopt (with errors) when it cannot be read.
std::optional<ImportedService> read_workload(JsonReader& r, const json& item,
                                             const std::string& path, const std::string& kind) {
  ImportedService s;
  s.workload = kind;
  s.name = str_at(item, {"metadata", "name"});
  if (const std::string p = config::dns1123_problem(s.name); !p.empty()) {
    r.error(path + ".metadata.name", config::dns1123_message(s.name, p));
    return std::nullopt;
  }
  const json spec = object_at(item, "spec");
  if (spec.contains("replicas")) {
    if (auto n = r.integer(spec, path + ".spec", "replicas", config::kRequired, 0,
                           sim::model::kMaxReplicas))
      s.replicas = static_cast<int>(*n);
    else
      return std::nullopt;
    // A workload scaled to zero serves nothing; a scenario whose service is down before its
    // first fault is refused, so it is modelled running, and says so.
    if (s.replicas == 0) {
      s.replicas = kScaledToZeroReplicas;
      s.scaled_to_zero = true;
    }
  }
  const json containers = array_at(object_at(object_at(spec, "template"), "spec"), "containers");
  std::vector<std::string> images;
  long long total = 0;
  bool all_limited = !containers.empty();
  for (std::size_t i = 0; i < containers.size(); ++i) {
    const json& c = containers[i];
    images.push_back(str_at(c, {"image"}));
    const std::string mem = str_at(c, {"resources", "limits", "memory"});
    if (mem.empty()) {
      all_limited = false;
      s.memory_note = "container " + str_at(c, {"name"}) + " has no memory limit";
      continue;
    }
    auto mb = memory_mb(mem);
    if (!mb) {
      r.error(path + ".spec.template.spec.containers[" + std::to_string(i) +
                  "].resources.limits.memory",
              "\"" + mem + "\" is not a Kubernetes memory quantity (e.g. 512Mi, 4Gi)");
      return std::nullopt;
    }
    total += *mb;
  }
  if (all_limited) s.memory_limit_mb = total;
  if (containers.empty()) s.memory_note = "no containers in the pod template";
  guess_kind(item, images, s);
  const std::string dep = str_at(item, {"metadata", "annotations", kDependsOnAnnotation});
  if (!dep.empty()) {
    s.depends_on = split_list(dep);
    s.depends_on_source = kind + " annotation";
    s.depends_on_path = path + ".metadata.annotations." + kDependsOnAnnotation;
  }
  return s;
}

// The model runs no dependency cycle (a scenario with one is refused, docs/scenario.md), so
// an annotation that names one is an error here, where the user can fix it, not a
// cluster.yaml that `selfheal run` refuses. Checked in name order, each cycle once: at the
// first edge (in that order) that closes it.
void check_dependency_cycles(const ImportedCluster& c, JsonReader& r) {
  std::map<std::string, std::vector<std::string>> deps;
  for (const auto& s : c.services) {
    for (const auto& d : s.depends_on) {
      if (d == s.name) {
        r.error(s.depends_on_path, "a service cannot depend on itself");
      } else if (reaches(deps, d, s.name)) {
        r.error(s.depends_on_path, "depends on \"" + d + "\", which depends back on \"" + s.name +
                                       "\": a dependency cycle (the model runs none)");
      } else {
        deps[s.name].push_back(d);
      }
    }
  }
}

}  // namespace

std::optional<long long> memory_mb(const std::string& q) {
  static const std::pair<const char*, double> kUnits[] = {{"Ki", 1024.0},
                                                          {"Mi", 1024.0 * 1024},
                                                          {"Gi", 1024.0 * 1024 * 1024},
                                                          {"Ti", 1099511627776.0},
                                                          {"k", 1e3},
                                                          {"M", 1e6},
                                                          {"G", 1e9},
                                                          {"T", 1e12},
                                                          {"", 1.0}};
  for (const auto& [suffix, mult] : kUnits) {
    const std::string sfx = suffix;
    if (q.size() <= sfx.size() || q.compare(q.size() - sfx.size(), sfx.size(), sfx) != 0) continue;
    const std::string num = q.substr(0, q.size() - sfx.size());
    double v = 0;
    auto [p, ec] = std::from_chars(num.data(), num.data() + num.size(), v);
    if (ec != std::errc() || p != num.data() + num.size() || !(v >= 0) || v > 1e18) continue;
    const double bytes = v * mult;
    return static_cast<long long>((bytes + kMiB - 1) / kMiB);
  }
  return std::nullopt;
}

std::optional<ImportedCluster> import_cluster_text(const std::string& text, const std::string& file,
                                                   core::Diagnostics& diags,
                                                   const std::string& ns) {
  auto doc = config::parse_json(text, file, diags);
  if (!doc) return std::nullopt;
  const std::size_t before = diags.size();
  JsonReader r(*doc, diags);
  const json& root = doc->root;
  if (!root.is_object() || str_at(root, {"kind"}) != "List" || !root.contains("items") ||
      !root.at("items").is_array()) {
    r.error("kind",
            "not a kubectl List: run `kubectl get deployments,statefulsets,services,"
            "horizontalpodautoscalers -A -o json`");
    return std::nullopt;
  }
  const json& items = root.at("items");
  std::set<std::string> namespaces;
  for (const auto& it : items)
    namespaces.insert(str_at(it, {"metadata", "namespace"}));
  std::string chosen = ns;
  if (chosen.empty()) {
    if (namespaces.size() > 1) {
      std::string all;
      for (const auto& n : namespaces)
        all += (all.empty() ? "" : ", ") + n;
      r.error("items", "objects from several namespaces (" + all +
                           "): choose one with --namespace (a scenario models one)");
      return std::nullopt;
    }
    chosen = namespaces.empty() ? std::string() : *namespaces.begin();
  }
  ImportedCluster c;
  c.source = file;
  c.ns = chosen.empty() ? "default" : chosen;
  std::map<std::string, std::string> hpas;
  std::map<std::string, std::pair<std::string, std::string>> service_deps;  // name -> text, path
  for (std::size_t i = 0; i < items.size(); ++i) {
    const json& it = items[i];
    const std::string path = JsonReader::index("items", i);
    if (str_at(it, {"metadata", "namespace"}) != chosen) continue;
    const std::string kind = str_at(it, {"kind"});
    const std::string name = str_at(it, {"metadata", "name"});
    if (kind == "Deployment" || kind == "StatefulSet") {
      if (auto s = read_workload(r, it, path, kind)) c.services.push_back(std::move(*s));
    } else if (kind == "Service") {
      const std::string dep = str_at(it, {"metadata", "annotations", kDependsOnAnnotation});
      if (!dep.empty())
        service_deps[name] = {dep, path + ".metadata.annotations." + kDependsOnAnnotation};
    } else if (kind == "HorizontalPodAutoscaler") {
      const json spec = object_at(it, "spec");
      const std::string target = str_at(spec, {"scaleTargetRef", "name"});
      hpas[target] = "HPA " + spec.value("minReplicas", json(1)).dump() + ".." +
                     spec.value("maxReplicas", json("?")).dump() + " replicas";
    } else {
      r.error(path + ".kind", config::unknown_name("object kind", kind,
                                                   {"Deployment", "StatefulSet", "Service",
                                                    "HorizontalPodAutoscaler"}));
    }
  }
  std::sort(c.services.begin(), c.services.end(),
            [](const auto& a, const auto& b) { return a.name < b.name; });
  std::set<std::string> names;
  for (const auto& s : c.services)
    names.insert(s.name);
  for (auto& s : c.services) {
    if (s.depends_on.empty() && service_deps.count(s.name) != 0U) {
      s.depends_on = split_list(service_deps.at(s.name).first);
      s.depends_on_source = "Service annotation";
      s.depends_on_path = service_deps.at(s.name).second;
    }
    for (const auto& d : s.depends_on)
      if (names.count(d) == 0U)
        r.error(s.depends_on_path, "depends on \"" + d +
                                       "\", which is not a Deployment or StatefulSet in "
                                       "namespace " +
                                       c.ns);
    if (hpas.count(s.name) != 0U) s.hpa = hpas.at(s.name);
  }
  check_dependency_cycles(c, r);
  if (diags.size() != before) return std::nullopt;
  if (c.services.empty()) {
    diags.add(core::Error("no Deployment or StatefulSet in namespace " + c.ns, file));
    return std::nullopt;
  }
  return c;
}

bool reaches(const std::map<std::string, std::vector<std::string>>& deps, const std::string& from,
             const std::string& to) {
  std::set<std::string> seen;
  std::vector<std::string> stack{from};
  while (!stack.empty()) {
    const std::string cur = stack.back();
    stack.pop_back();
    if (cur == to) return true;
    if (!seen.insert(cur).second) continue;
    if (auto it = deps.find(cur); it != deps.end())
      stack.insert(stack.end(), it->second.begin(), it->second.end());
  }
  return false;
}

std::optional<ImportedCluster> import_cluster_file(const std::string& path,
                                                   core::Diagnostics& diags,
                                                   const std::string& ns) {
  auto text = config::read_file(path);
  if (!text) {
    diags.add(text.error());
    return std::nullopt;
  }
  return import_cluster_text(text.value(), path, diags, ns);
}

std::string to_cluster_yaml(const ImportedCluster& c) {
  std::ostringstream o;
  o << "# Imported by `selfheal import cluster` from " << c.source << " (namespace " << c.ns << ", "
    << c.services.size() << " services).\n"
    << "# Lines marked `guess:` were inferred, not read: check them.";
  if (c.graph_source.empty())
    o << " Traffic and service\n"
      << "# capacities are not in Kubernetes objects; the kind's defaults apply "
         "(docs/scenario.md).\n";
  else
    o << "\n# Dependencies and traffic marked `service graph` were read from " << c.graph_source
      << ";\n# where it saw nothing, and for capacities, the kind's defaults apply "
         "(docs/scenario.md).\n";
  o << "cluster:\n  namespace: " << c.ns << "\n  services:\n";
  for (const auto& s : c.services) {
    o << "    " << s.name << ":  # " << s.workload;
    if (!s.hpa.empty()) o << "; " << s.hpa << " (the simulator scales only by actions)";
    o << "\n      kind: " << s.kind << "  # guess: " << s.kind_reason << "\n"
      << "      replicas: " << s.replicas;
    if (s.scaled_to_zero)
      o << "  # guess: scaled to 0 in the cluster; a scenario's services start running (remove "
           "it if it is not in use)";
    o << "\n";
    if (s.memory_limit_mb) {
      o << "      memory_limit_mb: " << *s.memory_limit_mb << "\n"
        << "      memory_per_pod_mb: " << std::max(1LL, *s.memory_limit_mb / 2)
        << "  # guess: half the limit (a pod's working set is not in Kubernetes objects)\n";
    } else {
      o << "      # memory_limit_mb not set: " << s.memory_note
        << " (the kind's default applies)\n";
    }
    if (s.traffic_rps)
      o << "      traffic: {rps: " << rate_text(*s.traffic_rps)
        << "}  # service graph: " << s.traffic_source << "\n";
    if (!s.depends_on.empty()) {
      o << "      depends_on: [";
      for (std::size_t i = 0; i < s.depends_on.size(); ++i)
        o << (i ? ", " : "") << s.depends_on[i];
      if (s.depends_on_from_graph)
        o << "]  # service graph: " << s.depends_on_source << "\n";
      else
        o << "]  # " << s.depends_on_source << " " << kDependsOnAnnotation << "\n";
    }
    for (const auto& n : s.graph_notes)
      o << "      # service graph: " << n << "\n";
  }
  return o.str();
}

}  // namespace selfheal::importer
