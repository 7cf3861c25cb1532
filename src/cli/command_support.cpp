#include "cli/command_support.h"

#include <filesystem>
#include <iostream>

namespace gb {

int Fail(const Status& s) {
  std::cerr << "glassbrain: " << s.message() << "\n";
  return s.code() == Code::kInvalid ? 2 : 1;
}

Status StoreExists(const std::string& url) {
  const std::string path = SqlitePathOf(url);
  std::error_code ec;
  if (path.empty() || std::filesystem::exists(path, ec)) return Status::Ok();
  return Status::NotFound("there is no store at " + path + "; create one with: glassbrain import --store " + url +
                          " DISTRICT_DIR");
}

Result<std::unique_ptr<Store>> OpenCommandStore(const std::string& url, IfMissing if_missing) {
  if (if_missing == IfMissing::kFail) GB_RETURN_IF_ERROR(StoreExists(url));
  auto parent = std::filesystem::path(SqlitePathOf(url)).parent_path();
  std::error_code ec;
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);  // OpenStore names the failure
  return OpenStore(url);
}

Result<std::string> ReadPasswordFromStdin() {
  std::string password;
  if (!std::getline(std::cin, password)) return Status::Invalid("type the password on standard input");
  while (!password.empty() && (password.back() == '\r' || password.back() == '\n')) password.pop_back();
  return password;
}

}  // namespace gb
