// MarkerKind's names, next to the type (scenario/run_result.hpp): the JSON report and the
// HTML chart both write them.
#include "scenario/run_result.hpp"

namespace selfheal::scenario {

std::string_view to_string(MarkerKind k) {
  switch (k) {
    case MarkerKind::kFault:
      return "fault";
    case MarkerKind::kPlanned:
      return "planned";
    case MarkerKind::kAlert:
      return "alert";
    case MarkerKind::kDecision:
      return "decision";
    case MarkerKind::kAction:
      return "action";
    case MarkerKind::kVerification:
      return "verification";
    case MarkerKind::kPage:
      return "page";
    case MarkerKind::kApproval:
      return "approval";
    case MarkerKind::kRecovery:
      return "recovery";
  }
  return "?";
}

}  // namespace selfheal::scenario
