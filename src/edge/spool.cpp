#include "edge/spool.h"

#include <spdlog/spdlog.h>

#include <charconv>
#include <cstdio>
#include <filesystem>
#include <sstream>

namespace gb::edge {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kMagic = "GBEDGE1";
constexpr std::string_view kSuffix = ".event";

// "<20-digit sequence>.event" → the sequence; nullopt for any other name.
std::optional<std::uint64_t> SeqOf(const std::string& name) {
  if (name.size() != 20 + kSuffix.size() || !name.ends_with(kSuffix)) return std::nullopt;
  std::uint64_t seq = 0;
  auto [end, ec] = std::from_chars(name.data(), name.data() + 20, seq);
  if (ec != std::errc() || end != name.data() + 20) return std::nullopt;
  return seq;
}

}  // namespace

// A record: "GBEDGE1 <json bytes> <evidence count>( <ref> <jpeg bytes>)* <key>\n", then the
// JSON, then each JPEG.
std::string Spool::EncodeRecord(const EdgeEvent& e) {
  std::string head = std::string(kMagic) + " " + std::to_string(e.json.size()) + " " + std::to_string(e.evidence.size());
  for (const auto& ev : e.evidence) head += " " + ev.ref + " " + std::to_string(ev.jpeg.size());
  head += " " + e.idempotency_key + "\n";
  std::string out = head + e.json;
  for (const auto& ev : e.evidence) out += ev.jpeg;
  return out;
}

Result<EdgeEvent> Spool::DecodeRecord(std::string_view record) {
  size_t nl = record.find('\n');
  if (nl == std::string_view::npos) return Status::Invalid("spool record without a header line");
  std::istringstream head{std::string(record.substr(0, nl))};
  std::string magic;
  std::size_t json_bytes = 0, count = 0;
  if (!(head >> magic >> json_bytes >> count) || magic != kMagic || count > 8)
    return Status::Invalid("spool record with a bad header");
  EdgeEvent e;
  std::vector<std::size_t> sizes;
  for (std::size_t i = 0; i < count; ++i) {
    Evidence ev;
    std::size_t n = 0;
    if (!(head >> ev.ref >> n)) return Status::Invalid("spool record with a bad evidence list");
    e.evidence.push_back(std::move(ev));
    sizes.push_back(n);
  }
  // The key may not contain spaces or newlines (camera ids, times and rule names do not).
  if (!(head >> e.idempotency_key)) return Status::Invalid("spool record without a key");
  std::size_t pos = nl + 1, total = json_bytes;
  for (auto n : sizes) total += n;
  if (record.size() != pos + total) return Status::Invalid("spool record of the wrong length (truncated?)");
  e.json = std::string(record.substr(pos, json_bytes));
  pos += json_bytes;
  for (std::size_t i = 0; i < count; ++i) {
    e.evidence[i].jpeg = std::string(record.substr(pos, sizes[i]));
    pos += sizes[i];
  }
  return e;
}

std::string Spool::PathOf(std::uint64_t seq) const {
  char name[32];
  std::snprintf(name, sizeof name, "%020llu", static_cast<unsigned long long>(seq));
  return dir_ + "/" + name + std::string(kSuffix);
}

Result<std::unique_ptr<Spool>> Spool::Open(const std::string& dir, std::int64_t max_bytes, Env* env,
                                           EdgeMetrics* metrics) {
  GB_RETURN_IF_ERROR(env->CreateDirs(dir));
  std::unique_ptr<Spool> s(new Spool(dir, max_bytes, env, metrics));
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.find(".tmp") != std::string::npos) {  // a write that a crash interrupted: never counted as raised
      GB_RETURN_IF_ERROR(env->RemoveFile(entry.path().string()));
      continue;
    }
    auto seq = SeqOf(name);
    if (!seq) continue;
    auto data = env->ReadFile(entry.path().string());
    auto event = data.ok() ? DecodeRecord(*data) : Result<EdgeEvent>(data.status());
    if (!event.ok()) {
      spdlog::error("event=spool_record_unreadable file={} error=\"{}\"", name, event.status().message());
      GB_RETURN_IF_ERROR(env->RemoveFile(entry.path().string()));
      continue;
    }
    auto size = static_cast<std::int64_t>(data->size());
    s->records_[*seq] = {event->idempotency_key, size};
    s->keys_.insert(event->idempotency_key);
    s->bytes_ += size;
    s->next_seq_ = std::max(s->next_seq_, *seq + 1);
  }
  if (ec) return Status::Internal("cannot list the spool " + dir + ": " + ec.message());
  metrics->SetSpoolGauges([raw = s.get()] { return std::pair{raw->events(), raw->bytes()}; });
  return s;
}

void Spool::Forget(std::map<std::uint64_t, std::pair<std::string, std::int64_t>>::iterator it) {
  keys_.erase(it->second.first);
  bytes_ -= it->second.second;
  records_.erase(it);
}

Status Spool::Raise(const EdgeEvent& event) {
  const std::string record = EncodeRecord(event);
  const auto size = static_cast<std::int64_t>(record.size());
  {
    std::lock_guard lock(mu_);
    if (keys_.count(event.idempotency_key)) return Status::Ok();  // raised again after a restart
    if (size > max_bytes_) {
      metrics_->SpoolDropped(1);
      spdlog::error("event=spool_dropped reason=larger_than_spool key={} bytes={} spool_max_bytes={}",
                    event.idempotency_key, size, max_bytes_);
      return Status::Ok();
    }
    while (bytes_ + size > max_bytes_ && !records_.empty()) {
      auto oldest = records_.begin();
      GB_RETURN_IF_ERROR(env_->RemoveFile(PathOf(oldest->first)));
      spdlog::warn("event=spool_dropped reason=full key={} spool_max_bytes={}", oldest->second.first, max_bytes_);
      metrics_->SpoolDropped(1);
      Forget(oldest);
    }
    const std::uint64_t seq = next_seq_++;
    GB_RETURN_IF_ERROR(env_->WriteFileDurable(PathOf(seq), record));
    records_[seq] = {event.idempotency_key, size};
    keys_.insert(event.idempotency_key);
    bytes_ += size;
  }
  cv_.notify_all();
  return Status::Ok();
}

std::vector<SpooledEvent> Spool::Oldest(std::size_t max_events, std::size_t max_json_bytes) {
  std::vector<std::uint64_t> seqs;
  {
    std::lock_guard lock(mu_);
    for (const auto& [seq, r] : records_) {
      if (seqs.size() >= max_events) break;
      seqs.push_back(seq);
    }
  }
  std::vector<SpooledEvent> out;
  std::size_t json_bytes = 0;
  for (auto seq : seqs) {
    auto data = env_->ReadFile(PathOf(seq));
    if (!data.ok()) continue;  // removed meanwhile (dropped from a full spool)
    auto event = DecodeRecord(*data);
    if (!event.ok()) {
      spdlog::error("event=spool_record_unreadable seq={} error=\"{}\"", seq, event.status().message());
      (void)Remove(seq);
      continue;
    }
    if (!out.empty() && json_bytes + event->json.size() > max_json_bytes) break;
    json_bytes += event->json.size();
    out.push_back({seq, std::move(*event)});
  }
  return out;
}

Status Spool::Remove(std::uint64_t seq) {
  std::lock_guard lock(mu_);
  auto it = records_.find(seq);
  if (it == records_.end()) return Status::Ok();
  GB_RETURN_IF_ERROR(env_->RemoveFile(PathOf(seq)));
  Forget(it);
  return Status::Ok();
}

std::int64_t Spool::events() const {
  std::lock_guard lock(mu_);
  return static_cast<std::int64_t>(records_.size());
}

std::int64_t Spool::bytes() const {
  std::lock_guard lock(mu_);
  return bytes_;
}

bool Spool::WaitForEvents(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, timeout, [this] { return !records_.empty(); });
}

}  // namespace gb::edge
