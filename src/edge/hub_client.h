// HubClient: blocking HTTP/1.1 requests from the agent to the hub, one connection each,
// every step (resolve, connect, write, read) under one deadline. Only http:// URLs; a path
// prefix in the URL is kept ("http://gw/glassbrain" + "/api/v1/…").
//
// This is the only file of the agent that instantiates Beast's async I/O.
// Thread-safety: Request() may be called from several threads at once.
#pragma once

#include <chrono>
#include <string>

#include "core/status.h"

namespace gb::edge {

struct HubReply {
  int status = 0;
  std::string body;
};

class HubClient {
 public:
  // REQUIRES: `url` starts with http:// (the config checks it).
  HubClient(const std::string& url, std::string token, std::chrono::milliseconds timeout = std::chrono::seconds(5));

  // Unavailable when the hub cannot be reached or does not answer in time; otherwise the
  // reply, whatever its status.
  Result<HubReply> Request(const std::string& method, const std::string& path, const std::string& content_type,
                           const std::string& body) const;

 private:
  std::string host_, port_, prefix_, token_;
  std::chrono::milliseconds timeout_;
};

}  // namespace gb::edge
