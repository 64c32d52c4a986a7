#pragma once

// .xlsx files built by hand (libzip and literal OOXML), the way another
// writer (Excel, a script) would package them, including content
// mapping::WriteCertificateInfoXlsx refuses to write (wildcards, slashes):
// what a person editing certificate_info.xlsx by hand may upload.

#include <map>
#include <string>
#include <vector>

namespace certferry::testing {

// Zips `parts` (name -> content) in memory.
std::string Zip(const std::map<std::string, std::string>& parts);

// A minimal workbook whose first sheet holds `rows` (the first is the
// header) as inline strings, starting at A1.
std::string HandWrittenXlsx(const std::vector<std::vector<std::string>>& rows);

}  // namespace certferry::testing
