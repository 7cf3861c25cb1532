#include "api/rest/common.h"

#include <charconv>
#include <memory>
#include <mutex>
#include <unordered_set>

#include "core/json_depth.h"

namespace gb::rest {

Result<nlohmann::json> JsonBody(const http::Request& req, size_t limit) {
  if (req.body.size() > limit) return Status::TooLarge("the body is larger than " + std::to_string(limit) + " bytes");
  GB_RETURN_IF_ERROR(CheckJsonNesting(req.body));
  nlohmann::json j = nlohmann::json::parse(req.body, nullptr, false);
  if (j.is_discarded()) return Status::Invalid("the body is not valid JSON");
  if (!j.is_object()) return Status::Invalid("the body must be a JSON object");
  return j;
}

Result<http::Params> Query(const http::Request& req) {
  auto q = http::ParseForm(req.query);
  if (!q) return Status::Invalid("the query string has a bad %-escape");
  return std::move(*q);
}

Actor ActorOf(const http::Request& req) {
  if (!req.principal) return Actor{"public", Role::kCrew, false};
  return Actor{req.principal->name, req.principal->role, false};
}

Result<Id> IdParam(const http::Request& req, std::string_view what) {
  const std::string& s = req.Param("id");
  Id id = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), id);
  if (ec != std::errc() || end != s.data() + s.size() || id <= 0)
    return Status::Invalid(std::string(what) + " id must be a positive whole number");
  return id;
}

http::Handler Idempotent(HubContext& ctx, http::Handler handler, KeyPolicy policy) {
  // Scopes whose first request is still running. A second one with the same key meanwhile
  // gets 409 instead of acting twice; the store only holds the answer once the first ends.
  struct InFlight {
    std::mutex mu;
    std::unordered_set<std::string> scopes;
  };
  auto in_flight = std::make_shared<InFlight>();
  return [&ctx, in_flight, policy, handler = std::move(handler)](http::Request& req) {
    std::string_view key = req.Header("idempotency-key");
    if (key.empty() && policy == KeyPolicy::kRequired)
      return http::JsonError(400, "send an Idempotency-Key header: one key per action, made when the action is "
                                  "taken, so that sending it again is answered once");
    if (key.empty()) return handler(req);
    if (key.size() > 200) return http::JsonError(400, "Idempotency-Key is longer than 200 characters");
    std::string scope = (req.principal ? req.principal->name : std::string("-")) + "\n" + req.method + "\n" +
                        req.path + "\n" + std::string(key);
    {
      std::lock_guard lock(in_flight->mu);
      if (!in_flight->scopes.insert(scope).second) {
        http::Response busy =
            http::JsonError(409, "a request with this Idempotency-Key is still being handled; retry it shortly");
        busy.SetHeader("Retry-After", "1");
        return busy;
      }
    }
    struct Release {
      InFlight& f;
      const std::string& scope;
      ~Release() {
        std::lock_guard lock(f.mu);
        f.scopes.erase(scope);
      }
    } release{*in_flight, scope};
    // Looked up only now: an earlier request with this key stored its answer before it left.
    auto seen = ctx.store.GetIdempotentReply(scope);
    // Acting without knowing whether the key was used could act twice.
    if (!seen.ok()) return http::ErrorFor(seen.status());
    if (*seen) {
      http::Response r = http::Json((*seen)->status, (*seen)->body);
      r.SetHeader("Idempotent-Replayed", "true");
      return r;
    }
    http::Response r = handler(req);
    if (r.status >= 200 && r.status < 300) {
      Status s = ctx.store.Write([&](WriteTxn& txn) {
        return txn.PutIdempotentReply(scope, IdempotentReply{r.status, r.body}, ctx.env->NowMs());
      });
      (void)s;  // the effect happened; failing to remember it only loses the replay
    }
    return r;
  };
}

std::string Page(nlohmann::json items, std::optional<std::int64_t> next_cursor) {
  nlohmann::json j = {{"items", std::move(items)}};
  j["next_cursor"] = next_cursor ? nlohmann::json(std::to_string(*next_cursor)) : nlohmann::json(nullptr);
  return j.dump();
}

}  // namespace gb::rest
