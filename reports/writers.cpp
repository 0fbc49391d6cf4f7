#include "reports/writers.hpp"

#include <filesystem>

#include "config/file_io.hpp"
#include "reports/html_writer.hpp"
#include "reports/json_writer.hpp"
#include "reports/markdown_writer.hpp"

namespace selfheal::reports {

// The run, its metrics and verdicts, as the scenario runner leaves them.
using namespace selfheal::scenario;

core::Status write_file(const std::string& path, const std::string& text) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path p(path);
  if (p.has_parent_path()) fs::create_directories(p.parent_path(), ec);
  if (ec) return core::Error{"cannot create the directory: " + ec.message(), path};
  // Replaced whole or not at all: a full disk must not leave a truncated baseline or report.
  return config::atomic_write(path, text);
}

core::Status write_run_reports(const RunResult& r, const std::string& dir) {
  if (auto s = write_file(dir + "/report.json", report_json_text(r)); !s) return s;
  if (auto s = write_file(dir + "/report.md", report_markdown(r)); !s) return s;
  return write_file(dir + "/report.html", report_html(r));
}

core::Status write_index(const std::vector<RunResult>& runs,
                         const std::vector<std::string>& subdirs, const std::string& dir,
                         const std::vector<IndexLink>& links) {
  if (auto s = write_file(dir + "/index.md", index_markdown(runs, subdirs)); !s) return s;
  return write_file(dir + "/index.html", index_html(runs, subdirs, links));
}

}  // namespace selfheal::reports
