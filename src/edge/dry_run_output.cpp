#include "edge/dry_run_output.h"

namespace gb::edge {

Result<std::unique_ptr<DryRunOutput>> DryRunOutput::Create(const std::string& dir, Env* env) {
  GB_RETURN_IF_ERROR(env->CreateDirs(dir + "/evidence"));
  std::unique_ptr<DryRunOutput> out(new DryRunOutput(dir, env));
  out->events_.open(dir + "/events.jsonl", std::ios::binary | std::ios::trunc);
  if (!out->events_) return Status::Internal("cannot create " + dir + "/events.jsonl");
  return out;
}

Status DryRunOutput::Raise(const EdgeEvent& event) {
  std::lock_guard lock(mu_);
  for (const auto& ev : event.evidence) {
    const std::string path = dir_ + "/evidence/sha256-" + ev.ref.substr(7) + ".jpg";
    if (!env_->FileExists(path)) GB_RETURN_IF_ERROR(env_->WriteFileDurable(path, ev.jpeg));
  }
  events_ << event.json << '\n';
  events_.flush();
  if (!events_) return Status::Internal("cannot write " + dir_ + "/events.jsonl");
  return Status::Ok();
}

}  // namespace gb::edge
