// File: functions_eval.h
//
// The implementations of PromQL's functions (the parser's table is functions.h), as the engine
// (engine.h) calls them at each evaluation step. Semantics are Prometheus 3's
// (https://prometheus.io/docs/prometheus/latest/querying/functions/), including its annotations.
//
// Two shapes of implementation:
//
// - A range kernel, for functions over one range-vector argument whose output for a series
//   depends only on that series' window and on scalar arguments (rate, increase, delta, irate,
//   idelta, deriv, predict_linear, resets, changes, the *_over_time family, holt-winters'
//   double_exponential_smoothing, ...). The engine walks the series and steps itself and calls
//   the kernel once per (series, step) with the window's points: no per-call allocation.
//
//     const FunctionImpl* impl = LookupFunctionImpl("rate");
//     std::optional<double> v = impl->range(call);   // nullopt: no output for this series/step
//
// - A step function, for everything else (element-wise math, label_replace, histogram_quantile,
//   sort*, absent, scalar, vector, time functions, ...): gets all evaluated arguments of one step
//   and appends the step's output samples.
//
// Contracts between engine and functions:
// - Window: points are those with range_start_ms < t <= range_end_ms (left-open, Prometheus 3),
//   ascending, staleness markers already removed. Exception, the experimental `anchored` and
//   `smoothed` range selectors: the engine adds the last sample at or before range_start_ms
//   (anchored and smoothed) and the first sample after range_end_ms (smoothed only), when
//   they exist within the lookback delta; rate/increase/delta then take the difference between
//   the edge values without extrapolation (smoothed interpolates them at the window edges),
//   as Prometheus's extended range selectors; anchored changes/resets count from the last
//   sample at or before the start (no output without a sample after the start).
// - `__name__`: a function that drops the metric name (FunctionImpl::drops_name) has its output
//   marked drop_name = true by the engine for range kernels; step functions set drop_name on the
//   samples they output themselves (delayed name removal: the engine strips names at the end).
// - timestamp(): when its argument is a plain vector selector the engine passes samples whose
//   `t` is the sample's own timestamp instead of the evaluation time.
// - sort, sort_desc, sort_by_label: output order is the result order of an instant query.
// - absent() / absent_over_time(): read the labels for their output from the argument
//   expression (`call.args[0]`), exactly as Prometheus does.
//
// Errors: a step function returns InvalidArgument for bad arguments found at evaluation time
// (e.g. label_replace with an invalid regular expression or target label name), and
// FailedPrecondition ("vector cannot contain metrics with the same labelset") when
// label_replace / label_join / histogram_quantile(s) / histogram_fraction would output two
// samples with the same label set at one step; a range kernel reports a bad scalar argument
// through RangeCall::error. The engine reports either as an execution error.
//
// Annotation positions: functions append ` (1:<column>)` from the byte offset of the argument
// the annotation is about (`call->args[i]->pos`), i.e. they assume a one-line query; the engine
// does not see the query text.
//
// Thread-safety: implementations are stateless and may run on several threads at once.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <variant>

#include "absl/status/status.h"
#include "promql/ast.h"
#include "promql/value.h"

namespace cardinalsin::promql {

// One (series, step) call of a range kernel.
struct RangeCall {
  std::span<const FPoint> points;  // the window, see the file comment
  int64_t range_start_ms = 0;      // exclusive
  int64_t range_end_ms = 0;        // inclusive: the evaluation time minus offset
  int64_t eval_ms = 0;             // the step's evaluation time (predict_linear, ts_of_*)
  // The function's scalar arguments evaluated at this step, in written order without the range
  // vector (quantile_over_time: {phi}; predict_linear: {t}; double_exponential_smoothing:
  // {sf, tf}).
  std::span<const double> scalars;
  const Labels* labels = nullptr;  // the series' labels (for annotation messages)
  const Call* call = nullptr;      // the call node (position for annotations)
  Annotations* annotations = nullptr;
  // Where a kernel reports an invalid scalar argument (double_exponential_smoothing's sf/tf
  // outside (0, 1)): it stores InvalidArgument here and returns nullopt, and the engine fails
  // the query with it. Prometheus reports these per series, so the check runs only where there
  // is a window to evaluate. May be null (the error is then dropped, the result still nullopt).
  absl::Status* error = nullptr;
};

// One evaluated argument of a step function.
using StepArg = std::variant<double, const Vector*, const Matrix*, std::string_view>;

// One step of a step function.
struct StepCall {
  const Call* call = nullptr;
  PosRange pos;                   // of the call expression
  int64_t eval_ms = 0;            // the step's evaluation time
  std::span<const StepArg> args;  // in written order; a range-vector argument is a Matrix of
                                  // the series' windows at this step
  Annotations* annotations = nullptr;
};

using RangeKernel = std::optional<double> (*)(const RangeCall& call);
// The step function of a scalar-returning function (pi, time, scalar) appends exactly one
// sample with no labels, whose value is the scalar.
using StepFunction = absl::Status (*)(const StepCall& call, Vector& out);

struct FunctionImpl {
  std::string_view name;
  RangeKernel range = nullptr;  // exactly one of range and step is set
  StepFunction step = nullptr;
  // Whether the function drops the metric name, as in Prometheus 3: false for last_over_time,
  // first_over_time, sort*, label_* and the functions whose output has no name anyway (absent*,
  // vector, scalar, time, pi, histogram_*); true for the rest (including clamp*, round,
  // timestamp). For a step function it documents what it sets on its outputs.
  bool drops_name = true;
};

// The implementation of the function named `name`, or nullptr when the engine evaluates it
// itself or it is not implemented (the engine then reports "function X is not supported").
const FunctionImpl* LookupFunctionImpl(std::string_view name);

}  // namespace cardinalsin::promql
