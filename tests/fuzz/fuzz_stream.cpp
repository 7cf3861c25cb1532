// GET /api/v1/stream on the fuzz hub with an untrusted Last-Event-ID, query and cookies,
// then one Poll of the stream when one is opened. Input: fields separated by '\n': the
// Last-Event-ID header, the query string, the Cookie header ({session} stands for the
// admin's session, see fuzz_hub.h).
// Properties: a stream opens only for a signed-in caller; what a poll sends is made of
// whole Server-Sent Events (each ends with a blank line).
#include "fuzz_hub.h"
#include "fuzz_input.h"

using namespace gb;

// Sets up the hub before the first input, so that its start-up (the anonymizer's models, the
// store) counts against no input's time limit.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  (void)fuzz::TheHub();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::FuzzHub& f = fuzz::TheHub();
  auto fields = fuzz::Fields(fuzz::AsText(data, size), '\n', 3);
  http::Request req;
  req.method = "GET";
  req.path = "/api/v1/stream";
  req.query = std::string(fields[1]);
  req.target = req.path + (req.query.empty() ? "" : "?" + req.query);
  if (!fields[0].empty()) req.headers.emplace_back("last-event-id", std::string(fields[0]));
  std::string cookie = fuzz::WithCredentials(fields[2]);
  if (!cookie.empty()) req.headers.emplace_back("cookie", cookie);
  req.remote_address = "198.51.100.7";
  std::string route;
  http::Response answer = f.hub->router().Dispatch(req, &route);
  fuzz::Require(answer.status != 500, "the stream answered 500");
  if (!answer.stream) return 0;
  fuzz::Require(answer.status == 200 && cookie.find(f.session) != std::string::npos,
                "a stream opened without the session");
  answer.stream->Start([] {});
  auto sent = answer.stream->Next(64 << 10);
  fuzz::Require(sent.has_value(), "a fresh stream ended at once");
  for (const auto& piece : *sent) fuzz::Require(piece->ends_with("\n\n"), "a stream sent part of an event");
  return 0;
}
