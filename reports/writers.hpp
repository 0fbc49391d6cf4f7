// Writing a run's report files into a directory: report.json, report.md, report.html.
#pragma once

#include <string>
#include <vector>

#include "core/result.hpp"
#include "reports/html_writer.hpp"
#include "scenario/run_result.hpp"

namespace selfheal::reports {

/// Replaces `path` with `text` atomically (config::atomic_write; parent directories are
/// created): a failed write leaves the old file as it was. Error names the path.
core::Status write_file(const std::string& path, const std::string& text);
/// report.json, report.md and report.html of `r` into `dir`.
core::Status write_run_reports(const scenario::RunResult& r, const std::string& dir);
/// index.html and index.md over `runs`, whose reports are in `dir`/<subdir[i]>; index.html
/// also lists `links`.
core::Status write_index(const std::vector<scenario::RunResult>& runs,
                         const std::vector<std::string>& subdirs, const std::string& dir,
                         const std::vector<IndexLink>& links = {});

}  // namespace selfheal::reports
