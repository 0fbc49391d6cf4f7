// Naive Bayes is chosen for transparency, not accuracy records: every piece of evidence is a
// named bucket with a likelihood a person can read and tune, and its log-likelihood ratio
// says exactly how far it pushed the verdict. Sums of logs keep small probabilities exact.
#include "engine/classifier.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <sstream>
#include <stdexcept>

#include "config/file_io.hpp"
#include "config/messages.hpp"
#include "config/yaml_reader.hpp"

namespace selfheal::engine {

// Defined in the generated classifier_model_data.cpp (engine/CMakeLists.txt).
extern const char* const kBuiltinClassifierModelYaml;

namespace {

using core::Error;

bool is_missing(const ServiceSignals& s, std::initializer_list<std::string_view> names) {
  for (const auto& m : s.missing) {
    for (auto n : names) {
      if (m == n) return true;
    }
  }
  return false;
}

using Extractor = std::optional<double> (*)(const ClassifierInput&);

struct FeatureDef {
  std::string name;
  Extractor value;
};

// The `missing` names match both SignalName spellings and ServiceSignals field names.
// (Over 80 lines: one table row per feature, read as a table.)
const std::vector<FeatureDef>& feature_defs() {
  static const std::vector<FeatureDef> kDefs{
      {"oom_kills",
       [](const ClassifierInput& in) -> std::optional<double> {
         if (is_missing(in.signals, {"oom_kills"})) return std::nullopt;
         return in.signals.oom_kills;
       }},
      {"memory_growth_per_hour",
       [](const ClassifierInput& in) -> std::optional<double> {
         if (is_missing(in.signals, {"memory_growth_per_hour", "memory_utilization"})) {
           return std::nullopt;
         }
         return in.signals.memory_growth_per_hour;
       }},
      {"memory_utilization",
       [](const ClassifierInput& in) -> std::optional<double> {
         if (is_missing(in.signals, {"memory_utilization"})) return std::nullopt;
         return in.signals.memory_utilization;
       }},
      {"cpu_utilization",
       [](const ClassifierInput& in) -> std::optional<double> {
         if (is_missing(in.signals, {"cpu_utilization"})) return std::nullopt;
         return in.signals.cpu_utilization;
       }},
      {"error_rate",
       [](const ClassifierInput& in) -> std::optional<double> {
         if (is_missing(in.signals, {"error_rate"})) return std::nullopt;
         return in.signals.error_rate;
       }},
      {"latency_ratio",
       [](const ClassifierInput& in) -> std::optional<double> {
         const auto& s = in.signals;
         if (is_missing(s, {"latency_p99_ms", "latency_p99_baseline_ms"}) ||
             s.latency_p99_baseline_ms <= 0.0) {
           return std::nullopt;
         }
         return s.latency_p99_ms / s.latency_p99_baseline_ms;
       }},
      {"since_last_deploy",
       [](const ClassifierInput& in) -> std::optional<double> {
         if (!in.signals.since_last_deploy || is_missing(in.signals, {"since_last_deploy"})) {
           return std::nullopt;
         }
         // Integer milliseconds in, minutes out; the division is exact enough for buckets.
         return static_cast<double>(in.signals.since_last_deploy->count()) / 60'000.0;
       }},
      {"dependency_errors",
       [](const ClassifierInput& in) -> std::optional<double> {
         if (is_missing(in.signals, {"dependency_errors"})) return std::nullopt;
         return in.signals.dependency_errors;
       }},
      {"upstream_error_rate",
       [](const ClassifierInput& in) -> std::optional<double> {
         if (in.upstreams.empty()) return std::nullopt;
         double worst = 0.0;
         for (const auto& u : in.upstreams) {
           worst = std::max(worst, u.healthy ? u.error_rate : 1.0);
         }
         return worst;
       }},
      {"ready_ratio",
       [](const ClassifierInput& in) -> std::optional<double> {
         const auto& s = in.signals;
         if (is_missing(s, {"ready_ratio", "ready_replicas", "desired_replicas"}) ||
             s.desired_replicas <= 0.0) {
           return std::nullopt;
         }
         return s.ready_replicas / s.desired_replicas;
       }},
      {"traffic_ratio",
       [](const ClassifierInput& in) -> std::optional<double> {
         const auto& s = in.signals;
         if (is_missing(s, {"request_rate", "request_rate_baseline"}) ||
             s.request_rate_baseline <= 0.0) {
           return std::nullopt;
         }
         return s.request_rate / s.request_rate_baseline;
       }},
      {"queue_lag_trend",
       [](const ClassifierInput& in) -> std::optional<double> {
         if (is_missing(in.signals, {"queue_lag_trend", "queue_lag"})) return std::nullopt;
         return in.signals.queue_lag_trend;
       }},
  };
  return kDefs;
}

// `hint`: the definition to try first (a model lists its features in this table's order as
// a rule, the built-in one does: then the search is one comparison).
const FeatureDef* find_def(std::string_view name, std::size_t hint = SIZE_MAX) {
  const auto& defs = feature_defs();
  if (hint < defs.size() && defs[hint].name == name) return &defs[hint];
  for (const auto& d : defs) {
    if (d.name == name) return &d;
  }
  return nullptr;
}

std::size_t bucket_of(const std::vector<double>& thresholds, double v) {
  std::size_t i = 0;
  while (i < thresholds.size() && !(v < thresholds[i]))
    ++i;
  return i;
}

// ---------------------------------------------------------------------------------------
// Loading: strict, because a silently malformed table produces confident nonsense.

// The model's structure over config::YamlReader, the one tree-walker (its typed reads and
// the words of every message).
class ModelLoader : config::YamlReader {
 public:
  explicit ModelLoader(std::string file) : config::YamlReader(std::move(file), diags_) {}

  core::Result<ClassifierModel> load(const std::string& yaml);

 private:
  std::optional<double> probability(const YAML::Node& n, const std::string& field) {
    auto v = number(n, field);
    if (v && (*v <= 0.0 || *v > 1.0)) {
      error(
          n, field,
          "a probability must be in (0, 1], got " + n.Scalar() +
              (*v == 0.0 ? " (0 would veto the type outright; use a small value like 0.001)" : ""));
      return std::nullopt;
    }
    return v;
  }
  std::vector<std::string> names(const YAML::Node& n, const std::string& field) {
    std::vector<std::string> out;
    if (!n.IsSequence()) {
      error(n, field, "expected a list of names");
      return out;
    }
    for (std::size_t i = 0; i < n.size(); ++i) {
      if (!n[i].IsScalar() || n[i].Scalar().empty()) {
        error(n[i], field + "[" + std::to_string(i) + "]", "expected a name");
        continue;
      }
      out.push_back(n[i].Scalar());
    }
    return out;
  }
  void feature(const YAML::Node& n, const std::string& path, ClassifierModel& model);
  void read_likelihood(const YAML::Node& lk, const std::string& path,
                       const std::vector<std::string>& types, ClassifierModel::Feature& f);
  void read_types(const YAML::Node& root, ClassifierModel& model);
  void read_priors(const YAML::Node& root, ClassifierModel& model);

  core::Diagnostics diags_;
};

void ModelLoader::feature(const YAML::Node& n, const std::string& path, ClassifierModel& model) {
  if (!n.IsMap()) {
    error(n, path, "expected a feature: {name, thresholds, buckets, likelihood}");
    return;
  }
  check_keys(n, path, {"name", "thresholds", "buckets", "likelihood"});
  ClassifierModel::Feature f;
  const YAML::Node name = n["name"];
  if (!name || !name.IsScalar()) {
    error(n, path + ".name", "missing feature `name`");
    return;
  }
  f.name = name.Scalar();
  if (find_def(f.name) == nullptr) {
    std::vector<std::string_view> known;
    for (const auto& d : feature_defs())
      known.emplace_back(d.name);
    error(name, path + ".name", config::unknown_name("feature", f.name, known));
    return;
  }
  for (const auto& other : model.features) {
    if (other.name == f.name) error(name, path + ".name", "feature `" + f.name + "` repeated");
  }
  const YAML::Node th = n["thresholds"];
  if (!th || !th.IsSequence() || th.size() == 0) {
    error(th ? th : n, path + ".thresholds", "expected a non-empty list of ascending numbers");
    return;
  }
  for (std::size_t i = 0; i < th.size(); ++i) {
    auto v = number(th[i], path + ".thresholds[" + std::to_string(i) + "]");
    if (!v) return;
    if (!f.thresholds.empty() && !(*v > f.thresholds.back())) {
      error(th[i], path + ".thresholds[" + std::to_string(i) + "]",
            "thresholds must be strictly ascending");
      return;
    }
    f.thresholds.push_back(*v);
  }
  const YAML::Node buckets = n["buckets"];
  if (!buckets) {
    error(n, path + ".buckets", "missing `buckets` (one name per bucket)");
    return;
  }
  f.bucket_names = names(buckets, path + ".buckets");
  if (f.bucket_names.size() != f.thresholds.size() + 1) {
    error(buckets, path + ".buckets",
          std::to_string(f.thresholds.size()) + " thresholds make " +
              std::to_string(f.thresholds.size() + 1) + " buckets, but " +
              std::to_string(f.bucket_names.size()) + " bucket names are given");
    return;
  }
  const YAML::Node lk = n["likelihood"];
  if (!lk || !lk.IsMap()) {
    error(lk ? lk : n, path + ".likelihood", "expected a map: type -> [P(bucket | type), ...]");
    return;
  }
  read_likelihood(lk, path, model.types, f);
  model.features.push_back(std::move(f));
}

// P(bucket | type) rows of one feature: one row per type, one probability per bucket.
void ModelLoader::read_likelihood(const YAML::Node& lk, const std::string& path,
                                  const std::vector<std::string>& types,
                                  ClassifierModel::Feature& f) {
  f.likelihood.assign(types.size(), {});
  std::vector<bool> seen(types.size(), false);
  for (auto it = lk.begin(); it != lk.end(); ++it) {
    const std::string type = it->first.Scalar();
    const std::string field = path + ".likelihood." + type;
    auto pos = std::find(types.begin(), types.end(), type);
    if (pos == types.end()) {
      error(it->first, field, "`" + type + "` is not listed in `types`");
      continue;
    }
    const auto t = static_cast<std::size_t>(pos - types.begin());
    seen[t] = true;
    const YAML::Node row = it->second;
    if (!row.IsSequence() || row.size() != f.bucket_names.size()) {
      error(row, field,
            "expected " + std::to_string(f.bucket_names.size()) + " probabilities, one per bucket");
      continue;
    }
    double sum = 0.0;
    bool ok = true;
    for (std::size_t b = 0; b < row.size(); ++b) {
      auto p = probability(row[b], field + "[" + std::to_string(b) + "]");
      if (!p) {
        ok = false;
        continue;
      }
      f.likelihood[t].push_back(*p);
      sum += *p;
    }
    if (ok && std::abs(sum - 1.0) > 0.01) {
      std::ostringstream os;
      os << "P(bucket | " << type << ") over the buckets must sum to 1, got " << sum;
      error(row, field, os.str());
    }
  }
  for (std::size_t t = 0; t < seen.size(); ++t) {
    if (!seen[t]) error(lk, path + ".likelihood", "no row for type `" + types[t] + "`");
  }
}

// `types`: the incident types to choose between, each once, at least two.
void ModelLoader::read_types(const YAML::Node& root, ClassifierModel& model) {
  const YAML::Node types = root["types"];
  if (!types) {
    error(root, "types", "missing `types` (the incident types to choose between)");
  } else {
    model.types = names(types, "types");
    for (std::size_t i = 0; i < model.types.size(); ++i) {
      for (std::size_t j = 0; j < i; ++j) {
        if (model.types[i] == model.types[j]) {
          error(types[i], "types[" + std::to_string(i) + "]",
                "type `" + model.types[i] + "` repeated");
        }
      }
    }
    if (model.types.size() < 2 && diags_.empty()) {
      error(types, "types", "a classifier needs at least two types to choose between");
    }
  }
}

// `priors`: one prior per type, summing to 1.
void ModelLoader::read_priors(const YAML::Node& root, ClassifierModel& model) {
  const YAML::Node priors = root["priors"];
  if (!priors || !priors.IsMap()) {
    error(priors ? priors : root, "priors", "expected a map: type -> prior probability");
  } else {
    model.priors.assign(model.types.size(), 0.0);
    double sum = 0.0;
    for (auto it = priors.begin(); it != priors.end(); ++it) {
      const std::string type = it->first.Scalar();
      auto pos = std::find(model.types.begin(), model.types.end(), type);
      if (pos == model.types.end()) {
        error(it->first, "priors." + type, "`" + type + "` is not listed in `types`");
        continue;
      }
      if (auto p = probability(it->second, "priors." + type)) {
        model.priors[static_cast<std::size_t>(pos - model.types.begin())] = *p;
        sum += *p;
      }
    }
    for (std::size_t t = 0; t < model.types.size(); ++t) {
      if (model.priors[t] == 0.0 &&
          std::none_of(diags_.errors().begin(), diags_.errors().end(),
                       [&](const Error& e) { return e.field == "priors." + model.types[t]; })) {
        error(priors, "priors", "no prior for type `" + model.types[t] + "`");
      }
    }
    if (diags_.empty() && std::abs(sum - 1.0) > 0.01) {
      std::ostringstream os;
      os << "priors must sum to 1, got " << sum;
      error(priors, "priors", os.str());
    }
  }
}

core::Result<ClassifierModel> ModelLoader::load(const std::string& yaml) {
  ClassifierModel model;
  try {
    const YAML::Node root = config::load_yaml(yaml);
    if (!root.IsMap()) {
      error(root, "", "expected a classifier model: a map with types, priors and features");
    } else {
      check_keys(root, "", {"version", "types", "priors", "features"});
      if (const YAML::Node v = root["version"]; v && !(v.IsScalar() && v.Scalar() == "1")) {
        error(v, "version", "unsupported model version (this build reads version 1)");
      }
      read_types(root, model);
      read_priors(root, model);
      const YAML::Node features = root["features"];
      if (!features || !features.IsSequence() || features.size() == 0) {
        error(features ? features : root, "features", "expected a non-empty list of features");
      } else {
        for (std::size_t i = 0; i < features.size(); ++i) {
          feature(features[i], "features[" + std::to_string(i) + "]", model);
        }
      }
    }
  } catch (const YAML::Exception& e) {
    diags_.add(Error{"YAML syntax error: " + e.msg, file(), e.mark.is_null() ? 0 : e.mark.line + 1,
                     e.mark.is_null() ? 0 : e.mark.column + 1, ""});
  }
  if (!diags_.empty()) {
    std::vector<Error> errors = diags_.errors();
    std::stable_sort(errors.begin(), errors.end(), [](const Error& a, const Error& b) {
      return std::pair(a.line, a.column) < std::pair(b.line, b.column);
    });
    Error first = errors.front();
    if (errors.size() > 1) {
      first.message += " (and " + std::to_string(errors.size() - 1) + " more problem" +
                       (errors.size() > 2 ? "s" : "") + " in this file)";
    }
    return first;
  }
  model.prepare();
  return model;
}

}  // namespace

void ClassifierModel::prepare() {
  double sum = 0.0;
  for (double p : priors)
    sum += p;
  log_priors.clear();
  for (double p : priors)
    log_priors.push_back(sum > 0.0 ? std::log(p / sum) : 0.0);
  for (auto& f : features) {
    f.log_likelihood.clear();
    for (const auto& row : f.likelihood) {
      std::vector<double> logs;
      logs.reserve(row.size());
      for (double p : row)
        logs.push_back(std::log(p));
      f.log_likelihood.push_back(std::move(logs));
    }
  }
}

const ClassifierModel& ClassifierModel::builtin() {
  // Immutable data parsed once; the shipped YAML is covered by tests, so failure here is a
  // build defect, not bad user input.
  static const ClassifierModel kModel = [] {
    auto m = load_string(kBuiltinClassifierModelYaml, "classifier_model.yaml (built in)");
    if (!m) throw std::logic_error("built-in classifier model: " + m.error().describe());
    return std::move(m).value();
  }();
  return kModel;
}

core::Result<ClassifierModel> ClassifierModel::load_string(const std::string& yaml,
                                                           const std::string& source_name) {
  return ModelLoader(source_name).load(yaml);
}

core::Result<ClassifierModel> ClassifierModel::load_file(const std::string& path) {
  auto text = config::read_file(path);
  if (!text) return text.error();
  return load_string(*text, path);
}

const std::vector<std::string>& classifier_features() {
  static const std::vector<std::string> kNames = [] {
    std::vector<std::string> out;
    for (const auto& d : feature_defs())
      out.push_back(d.name);
    return out;
  }();
  return kNames;
}

const std::vector<KnownIncidentType>& known_incident_types() {
  // The built-in model's types (classifier_model.yaml; a test keeps the two equal), then
  // the types only an external classifier sends: application-crash is the seed's AI verdict
  // for a crashing application (the db-outage scenarios); bad-feature-flag and
  // poisoned-cache have default actions but no telemetry signature the model can separate
  // from a bad deployment or a dependency failure.
  static const std::vector<KnownIncidentType> kTypes{
      {incident_types::kMemoryLeak, true},
      {incident_types::kCpuSpike, true},
      {incident_types::kBadDeployment, true},
      {incident_types::kDependencyFailure, true},
      {incident_types::kPodLoss, true},
      {incident_types::kTrafficSpike, true},
      {incident_types::kConsumerStall, true},
      {incident_types::kUnknown, true},
      {"application-crash", false},
      {incident_types::kBadFeatureFlag, false},
      {incident_types::kPoisonedCache, false},
  };
  return kTypes;
}

std::optional<double> feature_value(std::string_view name, const ClassifierInput& input) {
  const FeatureDef* d = find_def(name);
  if (d == nullptr) return std::nullopt;
  return d->value(input);
}

namespace {

// ln P(bucket b | type t) for feature f: the cached log table when its shape matches, else
// the log of the raw probability (a hand-built model).
double log_p(const ClassifierModel::Feature& f, std::size_t n, std::size_t t, std::size_t b) {
  const bool cached =
      f.log_likelihood.size() == n && f.log_likelihood[t].size() == f.likelihood[t].size();
  return cached ? f.log_likelihood[t][b] : std::log(f.likelihood[t][b]);
}

struct Observed {
  const ClassifierModel::Feature* feature;
  double value;
  std::size_t bucket;
  double llr;
};

// Unnormalised log posterior per type (log prior plus each known feature's log-likelihood
// of its observed bucket) and the features that were known. Needs model.types non-empty.
std::vector<double> log_scores(const ClassifierModel& model, const ClassifierInput& input,
                               std::vector<Observed>& observed) {
  const std::size_t n = model.types.size();
  std::vector<double> score(n, 0.0);
  double prior_sum = 0.0;
  for (double p : model.priors)
    prior_sum += p;
  for (std::size_t t = 0; t < n; ++t) {
    score[t] = model.log_priors.size() == n ? model.log_priors[t]
               : (t < model.priors.size() && prior_sum > 0.0)
                   ? std::log(model.priors[t] / prior_sum)
                   : -std::log(static_cast<double>(n));
  }
  observed.reserve(model.features.size());
  for (std::size_t k = 0; k < model.features.size(); ++k) {
    const auto& f = model.features[k];
    const FeatureDef* def = find_def(f.name, k);
    if (def == nullptr || f.likelihood.size() != n) continue;
    const std::optional<double> v = def->value(input);
    if (!v || !std::isfinite(*v)) continue;
    const std::size_t b = bucket_of(f.thresholds, *v);
    bool shaped = true;
    for (std::size_t t = 0; t < n; ++t)
      shaped = shaped && b < f.likelihood[t].size();
    if (!shaped) continue;  // a hand-built table without this bucket: not evidence
    for (std::size_t t = 0; t < n; ++t)
      score[t] += log_p(f, n, t, b);
    observed.push_back({&f, *v, b, 0.0});
  }
  return score;
}

}  // namespace

std::vector<std::pair<std::string, double>> posterior(const ClassifierModel& model,
                                                      const ClassifierInput& input) {
  std::vector<std::pair<std::string, double>> out;
  if (model.types.empty()) return out;
  std::vector<Observed> observed;
  const std::vector<double> score = log_scores(model, input, observed);
  const double top = *std::max_element(score.begin(), score.end());
  double total = 0.0;
  for (double s : score)
    total += std::exp(s - top);
  for (std::size_t t = 0; t < score.size(); ++t)
    out.emplace_back(model.types[t], std::exp(score[t] - top) / total);
  return out;
}

Classification classify(const ClassifierModel& model, const ClassifierInput& input) {
  Classification out;
  out.source = "builtin";
  const std::size_t n = model.types.size();
  if (n == 0) {
    out.incident_type = std::string(incident_types::kUnknown);
    return out;
  }
  std::vector<Observed> observed;
  const std::vector<double> score = log_scores(model, input, observed);

  // Winner and runner-up; strict comparisons keep ties on the type listed first.
  std::size_t win = 0;
  for (std::size_t t = 1; t < n; ++t) {
    if (score[t] > score[win]) win = t;
  }
  std::size_t second = win;
  for (std::size_t t = 0; t < n; ++t) {
    if (t != win && (second == win || score[t] > score[second])) second = t;
  }
  // Normalise with log-sum-exp around the maximum.
  double total = 0.0;
  for (std::size_t t = 0; t < n; ++t)
    total += std::exp(score[t] - score[win]);
  out.incident_type = model.types[win];
  out.confidence = 1.0 / total;

  // Rank the small POD records first, then build the strings once, in order.
  for (auto& o : observed) {
    o.llr = second == win
                ? 0.0
                : log_p(*o.feature, n, win, o.bucket) - log_p(*o.feature, n, second, o.bucket);
  }
  std::stable_sort(observed.begin(), observed.end(), [](const Observed& a, const Observed& b) {
    return std::abs(a.llr) > std::abs(b.llr);
  });
  out.evidence.reserve(observed.size());
  for (const auto& o : observed) {
    Evidence& e = out.evidence.emplace_back();
    e.signal = o.feature->name;
    e.value = o.value;
    e.bucket = o.bucket < o.feature->bucket_names.size() ? o.feature->bucket_names[o.bucket]
                                                         : std::to_string(o.bucket);
    e.log_likelihood_ratio = o.llr;
  }
  return out;
}

}  // namespace selfheal::engine
