// Catalog: an immutable snapshot of the district's configuration and the router built from
// it. Readers take a shared_ptr and keep a consistent view for the length of a request;
// admins' changes publish a new snapshot (CatalogHolder::Publish) without stopping anyone.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>

#include "district/district.h"
#include "routing/router.h"

namespace gb {

struct Catalog {
  District district;
  Router router;

  // Builds the router from the district. Invalid when a rule or area does not hold.
  static Result<std::shared_ptr<const Catalog>> Build(District district);
};

class CatalogHolder {
 public:
  explicit CatalogHolder(std::shared_ptr<const Catalog> initial) : current_(std::move(initial)) {}
  std::shared_ptr<const Catalog> Get() const {
    std::lock_guard lock(mu_);
    return current_;
  }
  void Publish(std::shared_ptr<const Catalog> next) {
    std::lock_guard lock(mu_);
    current_ = std::move(next);
    ++revision_;
  }
  // Counts the catalogs published: documents rendered from the district are valid while
  // it stays the same.
  std::uint64_t revision() const {
    std::lock_guard lock(mu_);
    return revision_;
  }

 private:
  mutable std::mutex mu_;
  std::shared_ptr<const Catalog> current_;
  std::uint64_t revision_ = 0;
};

}  // namespace gb
