#include "api/rest/ingest.h"

#include <nlohmann/json.hpp>

#include "api/auth/crypto.h"
#include "api/metrics.h"
#include "core/json_writer.h"
#include "ingest/event_json.h"
#include "privacy/evidence/photo_intake.h"
#include "privacy/image/anonymizer.h"

namespace gb::rest {

void RegisterIngestRoutes(http::Router& router, HubContext& ctx) {
  const std::vector<Role> machines = {Role::kEdge, Role::kIntegration};

  router.Add("POST", "/api/v1/events:batch", machines, [&ctx](http::Request& req) {
    if (req.body.size() > ctx.settings.limits.max_batch_body_bytes)
      return http::JsonError(413, "a batch body is at most " + std::to_string(ctx.settings.limits.max_batch_body_bytes) +
                                      " bytes");
    auto parsed = ParseEventBatch(req.body, static_cast<size_t>(ctx.settings.limits.max_batch_items));
    if (!parsed.ok()) return http::ErrorFor(parsed.status());
    // Only items that parsed go to the service; outcomes are stitched back in input order.
    std::vector<Event> valid;
    std::vector<size_t> index;
    for (size_t i = 0; i < parsed->events.size(); ++i)
      if (parsed->parse_errors[i].ok()) {
        valid.push_back(std::move(parsed->events[i]));
        index.push_back(i);
      }
    Actor actor{req.principal->name, req.principal->role, false};
    auto outcomes = ctx.incidents.Ingest(std::move(valid), actor);
    if (!outcomes.ok()) return http::ErrorFor(outcomes.status());
    std::vector<IngestOutcome> all(parsed->events.size());
    for (size_t i = 0; i < all.size(); ++i)
      if (!parsed->parse_errors[i].ok()) all[i].error = parsed->parse_errors[i].message();
    for (size_t k = 0; k < index.size(); ++k) all[index[k]] = (*outcomes)[k];

    std::int64_t counts[3] = {0, 0, 0};
    std::string body;
    body.reserve(32 * all.size() + 16);
    JsonWriter w(body);  // a thousand small objects: written directly, not as a tree
    w.BeginObject().Key("results").BeginArray();
    for (const auto& o : all) {
      ++counts[static_cast<int>(o.kind)];
      w.BeginObject().Key("status").String(OutcomeName(o.kind));
      if (o.kind == IngestOutcome::Kind::kRejected)
        w.Key("error").String(o.error);
      else
        w.Key("incident_id").Int(o.incident_id);
      w.EndObject();
    }
    w.EndArray().EndObject();
    for (auto kind : {IngestOutcome::Kind::kStored, IngestOutcome::Kind::kDuplicate, IngestOutcome::Kind::kRejected})
      if (counts[static_cast<int>(kind)])
        ctx.metrics.CountIngest("http", std::string(OutcomeName(kind)), counts[static_cast<int>(kind)]);
    return http::Json(200, std::move(body));
  }, "Ingest up to 1,000 events; answers per item, after a durable commit");

  router.Add("PUT", "/api/v1/evidence/{ref}", machines, [&ctx](http::Request& req) {
    const std::string& ref = req.Param("ref");
    if (!EvidenceStore::IsValidRef(ref))
      return http::JsonError(400, "the path must end in sha256:<64 lower-case hex digits>");
    std::string_view type = req.Header("content-type");
    if (!type.starts_with("image/jpeg")) return http::JsonError(415, "evidence must be sent as image/jpeg");
    if ("sha256:" + auth::Sha256Hex(req.body) != ref)
      return http::JsonError(400, "the body's SHA-256 does not match the reference in the path");
    auto known = ctx.store.GetEvidence(ref);
    if (!known.ok()) return http::ErrorFor(known.status());
    if (*known)
      return http::Json(200, nlohmann::json{{"evidence", ref}, {"stored_as", (*known)->hash}, {"stored", false}}.dump());
    // Through the one door (privacy/evidence/photo_intake.h): decoded within limits, faces
    // blurred and people erased again at the hub, metadata dropped, stored under the hash of
    // the result; the uploaded name stays an alias, since the agent's events use it.
    auto photo = IntakePhoto(ctx.anonymizer, ctx.evidence, req.body, ctx.settings.limits.images);
    if (!photo.ok()) return http::ErrorFor(photo.status());
    bool created = false;
    Status s = ctx.store.Write([&](WriteTxn& txn) -> Status {
      auto put = StorePhoto(txn, ctx.evidence, *photo, req.principal->name, ctx.env->NowMs(),
                            nlohmann::json{{"via", "edge"}, {"uploaded", ref}}.dump(), ref);
      if (!put.ok()) return put.status();
      created = *put || photo->ref != ref;
      return Status::Ok();
    });
    if (!s.ok()) return http::ErrorFor(s);
    return http::Json(created ? 201 : 200,
                      nlohmann::json{{"evidence", ref},
                                     {"stored_as", photo->ref},
                                     {"stored", created},
                                     {"faces_blurred", photo->image.faces_blurred},
                                     {"people_blurred", photo->image.people_blurred}}
                          .dump());
  }, "Upload an evidence JPEG, named by the SHA-256 of the uploaded bytes; anonymized again and stored under the hash of the result, the uploaded name kept as an alias");
}

}  // namespace gb::rest
