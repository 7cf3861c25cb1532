#include "incidents/catalog.h"

namespace gb {

Result<std::shared_ptr<const Catalog>> Catalog::Build(District district) {
  auto router = Router::Build(district.areas, district.rules, district.departments, district.fallback_department,
                              district.utc_offset_minutes);
  if (!router.ok()) return router.status();
  return std::shared_ptr<const Catalog>(new Catalog{std::move(district), std::move(router.value())});
}

}  // namespace gb
