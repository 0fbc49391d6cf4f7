// Internal to live/sqlite_state*.cpp: an RAII prepared statement over one sqlite3 handle.
//
//   Stmt st(db, "SELECT state FROM target_state WHERE ns = ?1");
//   if (st.ok() && st.text(1, ns).step() == SQLITE_ROW) use(st.column_text(0));
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <string>

namespace selfheal::live::detail {

class Stmt {
 public:
  Stmt(sqlite3* db, const char* sql) {
    ok_ = sqlite3_prepare_v2(db, sql, -1, &s_, nullptr) == SQLITE_OK;
  }
  ~Stmt() { sqlite3_finalize(s_); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  bool ok() const { return ok_; }
  Stmt& text(int i, const std::string& v) {
    sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Stmt& integer(int i, std::int64_t v) {
    sqlite3_bind_int64(s_, i, v);
    return *this;
  }
  int step() { return sqlite3_step(s_); }
  std::string column_text(int i) {
    const auto* p = sqlite3_column_text(s_, i);
    return p ? std::string(reinterpret_cast<const char*>(p),
                           static_cast<std::size_t>(sqlite3_column_bytes(s_, i)))
             : std::string();
  }
  std::int64_t column_int(int i) { return sqlite3_column_int64(s_, i); }

 private:
  sqlite3_stmt* s_ = nullptr;
  bool ok_ = false;
};

}  // namespace selfheal::live::detail
