#pragma once

// diagnose/ values to and from the API's messages.

#include <vector>

#include "certferry/v1/diagnosis_service.pb.h"
#include "diagnose/finding.h"

namespace certferry::service {

v1::Severity ToProto(diagnose::Severity severity);
v1::Finding ToProto(const diagnose::Finding& finding);

// Appends `findings` to `report` worst first and sets its `worst`.
void AddFindings(const std::vector<diagnose::Finding>& findings,
                 v1::DiagnosisReport* report);

}  // namespace certferry::service
