#pragma once

// Every finding certferry can report: its stable id, default severity,
// title, the browser error it causes and the remedy. Rules create findings
// through MakeFinding so the same problem always reads the same way, and
// docs/diagnose.md lists this catalog.

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "diagnose/finding.h"

namespace certferry::diagnose {

struct CatalogEntry {
  const char* id;
  Severity severity;
  const char* title;
  const char* browser_error;  // "" when none
  std::vector<const char*> remedy;
};

// All entries, grouped by check.
const std::vector<CatalogEntry>& FindingCatalog();

// The entry for `id`; nullopt for an id not in the catalog.
std::optional<CatalogEntry> FindCatalogEntry(absl::string_view id);

// A finding for catalog entry `id` with `evidence`. `severity` overrides the
// catalog's default where one id covers several degrees (a weak cipher
// class). An id not in the catalog is a programming error: the finding then
// says so (INFO, id kept) rather than crashing a diagnosis.
Finding MakeFinding(absl::string_view id, std::string evidence,
                    std::optional<Severity> severity = std::nullopt);

}  // namespace certferry::diagnose
