// Limits: every bound on the size of what one client may send the hub, in one place. The
// server refuses a head or body over the first two before any handler runs; handlers refuse
// the rest by kind, each with a message that names its limit. Each field states its default
// and, where one sets it, its configuration key (docs/config.md).
#pragma once

#include <cstddef>

#include "core/status.h"
#include "privacy/image/image_limits.h"

namespace gb {

struct Limits {
  // ---- Every request, refused by the server (431 / 413) ----
  // A request head: request line and header lines. Default: 16 KiB.
  std::size_t max_header_bytes = 16u << 10;
  // Any body, refused from its Content-Length before it is read. [server] max_body_bytes.
  // Default: 10 MiB, so a full-size photo fits with the form around it.
  std::size_t max_body_bytes = 10u << 20;

  // ---- Bodies by kind, refused by their handlers (413) ----
  // A JSON body, and an Open311 form-encoded one. [api] max_json_body_bytes. Default: 1 MiB.
  std::size_t max_json_body_bytes = 1u << 20;
  // A sign-in body, checked before its password is hashed. Default: 4 KiB.
  std::size_t max_login_body_bytes = 4u << 10;
  // POST /api/v1/events:batch. [api] max_batch_body_bytes. Default: 8 MiB.
  std::size_t max_batch_body_bytes = 8u << 20;
  // Events in one batch. [api] max_batch_items. Default: 1,000.
  int max_batch_items = 1000;
  // Every photo and evidence image: residents' Open311 media, crew photos, evidence uploads.
  // images.max_bytes is [open311] max_media_bytes. Defaults: 8 MiB, 8192 × 8192, 40 MP.
  ImageLimits images;

  // ---- Open311 multipart forms ----
  std::size_t max_form_parts = 32;              // Default: 32
  std::size_t max_form_field_bytes = 64u << 10;  // one text field. Default: 64 KiB
  std::size_t max_part_header_bytes = 8u << 10;  // the header lines of one part. Default: 8 KiB

  // What a multipart form adds around its photo, at most: the other parts and their heads.
  static constexpr std::size_t kFormOverheadBytes = 64u << 10;

  // OK, or Invalid naming both limits where a limit by kind lies above max_body_bytes: a body
  // that size would meet the server's 413 first, so that limit could never be reached.
  Status Check() const;
};

}  // namespace gb
