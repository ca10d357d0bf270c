#include "ingest/otlp_grpc.h"

#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "otlp/otlp.h"

namespace cardinalsin::ingest {

void AddOtlpGrpcService(rpc::ServiceTable& table, Ingester& ingester, std::string default_tenant) {
  table.AddUnary(std::string(kOtlpExportMethod), [&ingester, default_tenant](
                                                     const rpc::CallInfo& call,
                                                     std::string_view request,
                                                     std::string* response) {
    std::string tenant = call.Get("x-scope-orgid", default_tenant);
    if (absl::Status status = model::ValidateTenantId(tenant); !status.ok()) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, std::string(status.message()));
    }
    model::SampleBatch batch;
    absl::Status decoded = otlp::DecodeExportRequest(request, &batch);
    if (decoded.ok() && batch.num_samples() == 0 && batch.rejected_samples() == 0) {
      decoded = absl::InvalidArgumentError("Invalid schema: No data points");
    }
    if (!decoded.ok()) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                          absl::StrFormat("Invalid OTLP metrics payload: %s", decoded.message()));
    }
    WriteOutcome outcome = ingester.Write(tenant, batch);
    if (!outcome.status.ok()) {
      grpc::StatusCode code = grpc::StatusCode::INTERNAL;
      if (absl::IsResourceExhausted(outcome.status)) code = grpc::StatusCode::RESOURCE_EXHAUSTED;
      if (absl::IsUnavailable(outcome.status)) code = grpc::StatusCode::UNAVAILABLE;
      return grpc::Status(code, std::string(outcome.status.message()));
    }
    std::string message;
    if (outcome.rejected_samples > 0) {
      message = absl::StrFormat("rejected %d of %d data points: %s", outcome.rejected_samples,
                                outcome.rejected_samples + outcome.accepted_samples,
                                absl::StrJoin(outcome.reasons, "; "));
    }
    *response = otlp::EncodeExportResponse(outcome.rejected_samples, message);
    return grpc::Status::OK;
  });
}

}  // namespace cardinalsin::ingest
