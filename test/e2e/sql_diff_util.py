"""Differential testing of CardinalSin's SQL engine against DuckDB: a seeded generator of queries
in the dialect both accept, and a comparison of their results.

Result comparison (`compare_results`):
- Values are normalised first (`arrow_rows`, `normalize_duckdb`): CardinalSin's JSON gives
  timestamps as integer Unix nanoseconds and NaN/+Inf/-Inf as null (the result contract), so
  DuckDB's datetimes become integer nanoseconds and its non-finite doubles become None.
  NaN therefore compares equal to NaN (and to NULL: JSON cannot tell them apart).
- Integers (and booleans) must be equal exactly. When either side is a float the two numbers
  must agree to a relative tolerance of 1e-9 (|a - b| <= 1e-9 * max(|a|, |b|)); two numbers both
  smaller than 1e-9 in magnitude are equal (a variance of identical values may come out as 0 on
  one side and as a rounding residue of 1e-25 on the other).
- With ORDER BY (and the generator makes every ORDER BY total on the output) rows are compared
  in order; without it both results are sorted by a canonical key and compared as multisets.

The generator (`QueryGenerator`) is reproducible from its seed and the dataset's time base; it
aliases every output column (c0, c1, ...), so column names are compared too.
"""

from __future__ import annotations

import datetime as _dt
import math
import random
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Sequence

REL_TOL = 1e-9
ABS_FLOOR = 1e-9
_EPOCH = _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc)


# ---------------------------------------------------------------------------------------------
# Normalisation and comparison


def normalize_duckdb(v: Any) -> Any:
    """A DuckDB Python value as CardinalSin's JSON would give it."""
    if isinstance(v, _dt.datetime):
        if v.tzinfo is None:
            v = v.replace(tzinfo=_dt.timezone.utc)
        delta = v - _EPOCH
        return (delta.days * 86_400 + delta.seconds) * 1_000_000_000 + delta.microseconds * 1000
    if isinstance(v, Decimal):
        return float(v)
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v


def normalize_cs(v: Any) -> Any:
    return v


_UNIT_NS = {"s": 1_000_000_000, "ms": 1_000_000, "us": 1000, "ns": 1}


def arrow_rows(table) -> tuple[list[str], list[list[Any]]]:
    """(column names, rows) of a pyarrow Table with timestamps as integer Unix nanoseconds
    (exact at any unit; Python datetimes would stop at microseconds)."""
    import pyarrow as pa

    columns = []
    for field, col in zip(table.schema, table.columns):
        if pa.types.is_timestamp(field.type):
            scale = _UNIT_NS[field.type.unit]
            columns.append([None if v is None else v * scale for v in col.cast(pa.int64()).to_pylist()])
        else:
            columns.append(col.to_pylist())
    return list(table.column_names), [list(r) for r in zip(*columns)] if columns else []


def values_equal(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        if isinstance(a, int) and isinstance(b, int):
            return a == b
        a, b = float(a), float(b)
        if abs(a) < ABS_FLOOR and abs(b) < ABS_FLOOR:
            return True
        return abs(a - b) <= REL_TOL * max(abs(a), abs(b))
    return type(a) is type(b) and a == b


def _sort_key(row: Sequence[Any]):
    # A canonical order for multiset comparison: None first, then by type; integers and strings
    # exactly, floats rounded to 6 significant digits so that tolerance-equal rows sort alike
    # (then exactly, to order rows the rounding made equal).
    key, exact = [], []
    for v in row:
        if v is None:
            key.append((0, "", 0))
        elif isinstance(v, bool):
            key.append((1, "bool", int(v)))
        elif isinstance(v, int):
            key.append((1, "int", v))
        elif isinstance(v, float):
            key.append((1, "float", float(f"{v:.6g}")))
            exact.append(v)
        else:
            key.append((1, type(v).__name__, v))
    return key, exact


def compare_results(cs_cols: list[str], cs_rows: list[list[Any]], duck_cols: list[str],
                    duck_rows: list[Sequence[Any]], ordered: bool) -> str | None:
    """None when the results agree, else a description of the first difference."""
    if cs_cols != duck_cols:
        return f"columns differ: cardinalsin {cs_cols} vs duckdb {duck_cols}"
    cs = [[normalize_cs(v) for v in r] for r in cs_rows]
    dk = [[normalize_duckdb(v) for v in r] for r in duck_rows]
    if len(cs) != len(dk):
        return f"row counts differ: cardinalsin {len(cs)} vs duckdb {len(dk)}"
    if not ordered:
        cs = sorted(cs, key=_sort_key)
        dk = sorted(dk, key=_sort_key)
    for i, (a, b) in enumerate(zip(cs, dk)):
        if len(a) != len(b) or not all(values_equal(x, y) for x, y in zip(a, b)):
            return f"row {i} differs: cardinalsin {a} vs duckdb {b}"
    return None


def format_rows(rows: Sequence[Sequence[Any]], limit: int = 40) -> str:
    lines = [repr(list(r)) for r in rows[:limit]]
    if len(rows) > limit:
        lines.append(f"... ({len(rows) - limit} more rows)")
    return "\n".join(lines) if lines else "(no rows)"


# ---------------------------------------------------------------------------------------------
# The query generator


@dataclass(frozen=True)
class Schema:
    """What the generator may refer to: label columns with some of their values, metric names,
    and the data's time range [start_ns, end_ns)."""

    labels: dict[str, list[str]]
    metrics: list[str]
    start_ns: int
    end_ns: int


@dataclass(frozen=True)
class GeneratedQuery:
    sql: str
    ordered: bool
    columns: int = 0  # output columns c0 .. c{columns-1} (group_query only)


def _quote(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def _ts_literal(ns: int, rng: random.Random, typed: bool = False) -> str:
    t = _dt.datetime.fromtimestamp(ns // 1_000_000_000, tz=_dt.timezone.utc)
    # Two spellings both engines read as UTC: a typed literal and an RFC 3339 string.
    if typed or rng.random() < 0.5:
        return "TIMESTAMP " + _quote(t.strftime("%Y-%m-%d %H:%M:%S"))
    return _quote(t.strftime("%Y-%m-%dT%H:%M:%SZ"))


class QueryGenerator:
    """Seeded random SELECTs over `metrics`. Intentional exclusions (dialect differences, not
    bugs) are commented where the generator avoids them."""

    # Value literals spanning the data (values are between -50 and 2e9, plus NaN/+-Inf).
    VALUE_LITERALS = ["0", "1", "2.5", "10", "42", "-5", "100", "1000.5", "1e6", "5e8"]
    TIME_UNITS = ["minute", "hour"]

    def __init__(self, schema: Schema, seed: int):
        self.s = schema
        self.rng = random.Random(seed)

    # -- leaves ---------------------------------------------------------------------------------

    def label(self) -> str:
        return self.rng.choice(sorted(self.s.labels))

    def label_value(self, label: str) -> str:
        values = self.s.labels[label]
        if self.rng.random() < 0.1:
            return "nosuch"  # a value no row has
        return self.rng.choice(values)

    def time_ns(self) -> int:
        # Whole seconds inside (or a little around) the data's range.
        span = self.s.end_ns - self.s.start_ns
        t = self.s.start_ns + int(self.rng.uniform(-0.1, 1.1) * span)
        return t - t % 1_000_000_000

    # -- expressions ----------------------------------------------------------------------------

    def numeric_expr(self, depth: int = 0) -> str:
        r = self.rng.random()
        if depth >= 2 or r < 0.35:
            return "value"
        if r < 0.55:
            op = self.rng.choice(["+", "-", "*"])
            return f"({self.numeric_expr(depth + 1)} {op} {self.rng.choice(self.VALUE_LITERALS)})"
        if r < 0.62:
            # Only double / number: an integer / integer truncates here (PostgreSQL) and gives a
            # double in DuckDB; an intentional difference, not generated. x / 0 is IEEE in both.
            op = self.rng.choice(["/", "/", "/", "%"])
            return f"({self.numeric_expr(depth + 1)} {op} {self.rng.choice(['2', '4', '0.5', '-3', '0'])})"
        if r < 0.72:
            return f"abs({self.numeric_expr(depth + 1)})"
        if r < 0.82:
            return (f"CASE WHEN {self.predicate(depth + 1)} THEN {self.numeric_expr(depth + 1)} "
                    f"ELSE {self.rng.choice(self.VALUE_LITERALS)} END")
        if r < 0.86:
            return f"(value {self.rng.choice(['+', '-', '*'])} value)"
        if r < 0.9:
            return f"COALESCE(CASE WHEN {self.predicate(depth + 1)} THEN value END, {self.rng.choice(self.VALUE_LITERALS)})"
        if r < 0.95:
            # No sign(): sign(NaN) is NaN here (as in DataFusion) and 0 in DuckDB (and in
            # PostgreSQL's float8 sign); an intentional difference.
            fn = self.rng.choice(["round({}, 1)", "round({})", "floor({})", "ceil({})",
                                  "greatest({}, 10)", "least({}, 0, value)", "power({}, 2)"])
            return fn.format(self.numeric_expr(depth + 1))
        # date_part/extract is double here (PostgreSQL) and BIGINT in DuckDB (where x % 0 then
        # fails): the cast makes the type the same on both sides.
        part = self.rng.choice(["minute", "hour", "second", "epoch", "dow", "doy", "day"])
        if self.rng.random() < 0.5:
            return f"CAST(extract({part} FROM timestamp) AS DOUBLE)"
        return f"CAST(date_part({_quote(part)}, timestamp) AS DOUBLE)"

    def string_expr(self) -> str:
        r = self.rng.random()
        if r < 0.5:
            return self.label()
        if r < 0.65:
            return "metric_name"
        if r < 0.85:
            return f"COALESCE({self.label()}, {_quote('none')})"
        if r < 0.93:
            fn = self.rng.choice(["lower({})", "upper({})", "concat({}, '-', {})", "substr({}, 2)",
                                  "substr({}, 1, 2)", "replace({}, 'h', 'H')", "left({}, 3)", "right({}, 2)",
                                  "reverse({})", "trim({}, 'h')", "{} || '/' || {}"])
            return "(" + fn.format(self.label(), self.label()) + ")"
        lbl = self.label()
        return (f"CASE WHEN {lbl} IS NULL THEN {_quote('absent')} WHEN {lbl} = "
                f"{_quote(self.label_value(lbl))} THEN {_quote('picked')} ELSE {_quote('other')} END")

    def predicate(self, depth: int = 0) -> str:
        r = self.rng.random()
        if depth < 2 and r < 0.2:
            op = self.rng.choice(["AND", "OR"])
            return f"({self.predicate(depth + 1)} {op} {self.predicate(depth + 1)})"
        if depth < 2 and r < 0.26:
            return f"NOT ({self.predicate(depth + 1)})"
        kind = self.rng.choice(["value", "value", "label_eq", "label_ne", "label_in", "like", "null",
                                "metric", "between", "time", "time", "time_between", "label_cmp", "ilike",
                                "in_null", "time_interval", "int_fn", "in_subquery", "label_label",
                                "scalar_subquery", "bool_expr", "simple_case", "bucket_cmp", "empty_label",
                                "contradiction", "like_escape"])
        if kind == "bucket_cmp":
            # Bucketed time conditions the optimizer turns into conservative scan ranges.
            if self.rng.random() < 0.6:
                bucket = f"date_trunc({_quote(self.rng.choice(self.TIME_UNITS + ['second']))}, timestamp)"
            else:
                stride = self.rng.choice(["5 minutes", "1 hour", "90 seconds"])
                bucket = f"time_bucket(INTERVAL {_quote(stride)}, timestamp)"
            t = self.time_ns()
            if self.rng.random() < 0.5:
                t -= t % 60_000_000_000  # on a minute boundary
            return f"{bucket} {self.rng.choice(['=', '<', '<=', '>', '>=', '<>'])} {_ts_literal(t, self.rng, typed=True)}"
        if kind == "empty_label":
            # An absent label is NULL (SQL), never '' (as Prometheus matchers would have it).
            return f"{self.label()} {self.rng.choice(['=', '<>', '>'])} ''"
        if kind == "contradiction":
            a, b = sorted([self.time_ns(), self.time_ns()])
            return (f"timestamp {self.rng.choice(['>', '>='])} {_ts_literal(b, self.rng)} AND "
                    f"timestamp {self.rng.choice(['<', '<='])} {_ts_literal(a, self.rng)}")
        if kind == "like_escape":
            return f"metric_name {self.rng.choice(['LIKE', 'NOT LIKE'])} 'http\\_%' ESCAPE '\\'"
        if kind == "label_label":
            a, b = self.rng.sample(sorted(self.s.labels), 2)
            return f"{a} {self.rng.choice(['=', '<>', '<', '>='])} {b}"
        if kind == "scalar_subquery":
            agg = self.rng.choice(["avg(value)", "max(value)", "min(value)"])
            return (f"value {self.rng.choice(['<', '>='])} (SELECT {agg} FROM metrics WHERE metric_name = "
                    f"{_quote(self.rng.choice(self.s.metrics))})")
        if kind == "bool_expr":
            return f"({self.numeric_expr(depth + 1)} > 10) = ({self.label()} IS NULL)"
        if kind == "simple_case":
            lbl = self.label()
            return (f"CASE {lbl} WHEN {_quote(self.label_value(lbl))} THEN value > 10 "
                    f"WHEN {_quote(self.label_value(lbl))} THEN false ELSE {lbl} IS NULL END")
        if kind == "label_cmp":
            lbl = self.label()
            return f"{lbl} {self.rng.choice(['<', '<=', '>', '>='])} {_quote(self.label_value(lbl))}"
        if kind == "ilike":
            col = self.rng.choice([self.label(), "metric_name"])
            pattern = self.rng.choice(["H%", "%_TOTAL", "%E%", "GET", "s\\_%", "%\\%%"])
            op = self.rng.choice(["ILIKE", "NOT ILIKE", "LIKE"])
            escape = " ESCAPE '\\'" if "\\" in pattern else ""
            return f"{col} {op} {_quote(pattern)}{escape}"
        if kind == "in_null":
            lbl = self.label()
            neg = "NOT " if self.rng.random() < 0.5 else ""
            return f"{lbl} {neg}IN ({_quote(self.label_value(lbl))}, NULL)"
        if kind == "time_interval":
            op = self.rng.choice(["<", ">="])
            # A typed literal: both engines reject an untyped string plus an interval.
            return (f"timestamp {op} {_ts_literal(self.time_ns(), self.rng, typed=True)} "
                    f"{self.rng.choice(['+', '-'])} INTERVAL {_quote(self.rng.choice(['10 minutes', '1 hour', '90 seconds']))}")
        if kind == "int_fn":
            return (f"length({self.label()}) {self.rng.choice(['=', '>', '<='])} {self.rng.randint(1, 4)}")
        if kind == "in_subquery":
            lbl = self.rng.choice(["host", "region", "env"])
            neg = "NOT " if self.rng.random() < 0.3 else ""
            return (f"{lbl} {neg}IN (SELECT {lbl} FROM metrics WHERE metric_name = "
                    f"{_quote(self.rng.choice(self.s.metrics))} AND {lbl} IS NOT NULL)")
        if kind == "value":
            op = self.rng.choice(["=", "<>", "<", "<=", ">", ">="])
            return f"{self.numeric_expr(depth + 1)} {op} {self.rng.choice(self.VALUE_LITERALS)}"
        if kind == "label_eq":
            lbl = self.label()
            return f"{lbl} = {_quote(self.label_value(lbl))}"
        if kind == "label_ne":
            lbl = self.label()
            return f"{lbl} <> {_quote(self.label_value(lbl))}"
        if kind == "label_in":
            lbl = self.label()
            vals = sorted({self.label_value(lbl) for _ in range(self.rng.randint(1, 3))})
            neg = "NOT " if self.rng.random() < 0.3 else ""
            return f"{lbl} {neg}IN ({', '.join(_quote(v) for v in vals)})"
        if kind == "like":
            col = self.rng.choice([self.label(), "metric_name"])
            pattern = self.rng.choice(["h%", "%1", "%_total", "%e%", "s_", "cpu%", "%", "e_"])
            neg = "NOT " if self.rng.random() < 0.25 else ""
            return f"{col} {neg}LIKE {_quote(pattern)}"
        if kind == "null":
            return f"{self.label()} IS {'NOT ' if self.rng.random() < 0.5 else ''}NULL"
        if kind == "metric":
            if self.rng.random() < 0.6:
                return f"metric_name = {_quote(self.rng.choice(self.s.metrics))}"
            vals = sorted(set(self.rng.sample(self.s.metrics, self.rng.randint(1, 3))))
            return f"metric_name IN ({', '.join(_quote(v) for v in vals)})"
        if kind == "between":
            lo, hi = sorted(self.rng.sample([-10, 0, 5, 20, 50, 1000, 1e9], 2))
            return f"value BETWEEN {lo} AND {hi}"
        if kind == "time":
            op = self.rng.choice(["<", "<=", ">", ">="])
            return f"timestamp {op} {_ts_literal(self.time_ns(), self.rng)}"
        a, b = sorted([self.time_ns(), self.time_ns()])
        return f"timestamp BETWEEN {_ts_literal(a, self.rng)} AND {_ts_literal(b, self.rng)}"

    def where(self) -> str:
        if self.rng.random() < 0.15:
            return ""
        return " WHERE " + self.predicate()

    def order_terms(self, exprs: list[str]) -> list[str]:
        terms = []
        for e in exprs:
            direction = self.rng.choice(["ASC", "DESC"])
            # NULL placement is always explicit: DuckDB puts NULLs last in both directions,
            # PostgreSQL (and CardinalSin) first for DESC. A default, not a bug; not generated.
            nulls = self.rng.choice(["NULLS FIRST", "NULLS LAST"])
            terms.append(f"{e} {direction} {nulls}")
        return terms

    # -- statements -----------------------------------------------------------------------------

    def row_query(self) -> GeneratedQuery:
        n = self.rng.randint(1, 4)
        exprs = []
        for _ in range(n):
            r = self.rng.random()
            if r < 0.3:
                exprs.append(self.numeric_expr())
            elif r < 0.65:
                exprs.append(self.string_expr())
            elif r < 0.8:
                exprs.append("timestamp")
            elif r < 0.85:
                exprs.append(f"date_trunc({_quote(self.rng.choice(self.TIME_UNITS + ['day', 'second']))}, timestamp)")
            elif r < 0.88:
                exprs.append(self.predicate())
            elif r < 0.91:
                exprs.append(f"NULLIF({self.label()}, {_quote(self.label_value(self.label()))})")
            elif r < 0.94:
                # Both engines reject casting NaN/Inf to an integer; only finite values are cast.
                # Only whole numbers: a double -> integer cast rounds halves away from zero here
                # (exec/value.h) and to even in DuckDB (and PostgreSQL's float8 -> int8); an
                # intentional difference, not generated.
                exprs.append(self.rng.choice(["CAST(CASE WHEN abs(value) < 1e12 THEN floor(value) END AS BIGINT)",
                                              "CAST(CASE WHEN abs(value) < 1e12 THEN ceil(value) END AS BIGINT)",
                                              "CAST(value AS DOUBLE)", "value::double", "series_id",
                                              "CAST(host AS VARCHAR)"]))
            elif r < 0.97:
                exprs.append(f"timestamp {self.rng.choice(['+', '-'])} INTERVAL "
                             f"{_quote(self.rng.choice(['1 minute', '2 hours', '1 day', '30 seconds']))}")
            else:
                exprs.append("value")
        select = ", ".join(f"{e} AS c{i}" for i, e in enumerate(exprs))
        distinct = "DISTINCT " if self.rng.random() < 0.15 else ""
        sql = f"SELECT {distinct}{select} FROM metrics{self.where()}"
        if self.rng.random() < 0.6:
            # Ordering by every output column makes the order total on what is compared.
            sql += " ORDER BY " + ", ".join(self.order_terms([f"c{i}" for i in range(n)]))
            if self.rng.random() < 0.7:
                sql += f" LIMIT {self.rng.choice([1, 5, 20, 100])}"
                if self.rng.random() < 0.3:
                    sql += f" OFFSET {self.rng.choice([0, 1, 7, 50])}"
            return GeneratedQuery(sql, True)
        return GeneratedQuery(sql, False)

    def aggregate(self) -> str:
        agg, numeric = self.aggregate_inner()
        r = self.rng.random()
        if not numeric:
            return agg
        if r < 0.15:
            # JSON shows NaN and NULL both as null: COALESCE tells an empty group's NULL apart.
            return f"COALESCE({agg}, -999)"
        if r < 0.22:
            return f"({agg} * 2)"
        return agg

    def aggregate_inner(self) -> tuple[str, bool]:
        """(aggregate, whether its result is numeric)."""
        r = self.rng.random()
        if r < 0.08:
            return f"count(*) FILTER (WHERE {self.predicate(1)})", True
        if r < 0.14:
            return f"sum(CASE WHEN {self.predicate(1)} THEN 1 ELSE 0 END)", True
        if r < 0.18:
            return f"{self.rng.choice(['sum', 'max', 'avg'])}(value) FILTER (WHERE {self.predicate(1)})", True
        if r < 0.22:
            fn = self.rng.choice(["percentile_cont", "percentile_disc"])
            frac = self.rng.choice(["0", "0.25", "0.5", "0.9", "1"])
            return f"{fn}({frac}) WITHIN GROUP (ORDER BY {self.rng.choice(['value', 'abs(value)'])})", True
        r = self.rng.random()
        if r < 0.15:
            return self.rng.choice(["min(timestamp)", "max(timestamp)", f"min({self.label()})",
                                    f"max({self.label()})", "max(metric_name)"]), False
        simple = ["count(*)", "count(value)", f"count({self.label()})", "sum(value)", "avg(value)",
                  "min(value)", "max(value)", f"count(DISTINCT {self.label()})", "count(DISTINCT metric_name)"]
        if r < 0.55:
            return self.rng.choice(simple), True
        if r < 0.75:
            fn = self.rng.choice(["stddev", "variance", "stddev_samp", "stddev_pop", "var_samp", "var_pop"])
            # Arguments are well conditioned (no shift by a large constant): the variance of
            # value - 5e8 loses digits to cancellation differently in each engine.
            arg = self.rng.choice(["value", "abs(value)", "(value * 2.5)", "(value / 4)", "(value + 10)",
                                   f"CASE WHEN {self.predicate(1)} THEN value ELSE 1 END"])
            # Finite inputs only: a group holding a single Inf or NaN has variance NaN here (as
            # in PostgreSQL) and 0 in DuckDB; an intentional difference, not generated.
            return f"{fn}(CASE WHEN value BETWEEN -1e308 AND 1e308 THEN {arg} END)", True
        fn = self.rng.choice(["sum", "avg", "min", "max"])
        return f"{fn}({self.numeric_expr()})", True

    def group_key(self) -> str:
        r = self.rng.random()
        if r < 0.45:
            return self.label()
        if r < 0.6:
            return "metric_name"
        if r < 0.72:
            return f"date_trunc({_quote(self.rng.choice(self.TIME_UNITS))}, timestamp)"
        if r < 0.8:
            stride = self.rng.choice(["5 minutes", "15 minutes", "1 hour", "90 seconds"])
            return f"time_bucket(INTERVAL {_quote(stride)}, timestamp)"
        return self.string_expr()

    def group_query(self) -> GeneratedQuery:
        keys: list[str] = []
        for _ in range(self.rng.choice([0, 1, 1, 2, 2])):
            k = self.group_key()
            if k not in keys:
                keys.append(k)
        aggs = [self.aggregate() for _ in range(self.rng.randint(1, 3))]
        cols = keys + aggs
        select = ", ".join(f"{e} AS c{i}" for i, e in enumerate(cols))
        sql = f"SELECT {select} FROM metrics{self.where()}"
        if keys:
            if self.rng.random() < 0.2:
                sql += " GROUP BY " + ", ".join(str(i + 1) for i in range(len(keys)))
            else:
                sql += " GROUP BY " + ", ".join(keys)
        if self.rng.random() < 0.25:
            having = self.rng.choice([
                f"count(*) > {self.rng.choice([1, 10, 100, 500])}",
                f"max(value) > {self.rng.choice(self.VALUE_LITERALS)}",
                f"sum(value) < {self.rng.choice(self.VALUE_LITERALS)}",
                f"min(value) <= {self.rng.choice(self.VALUE_LITERALS)} OR count(*) < 50",
            ])
            sql += f" HAVING {having}"
        if keys and self.rng.random() < 0.6:
            # Group keys are unique per group, so ordering by all of them is total.
            if self.rng.random() < 0.3:
                terms = self.order_terms(["count(*)"]) + self.order_terms([f"c{i}" for i in range(len(keys))])
            else:
                terms = self.order_terms([f"c{i}" for i in range(len(keys))])
            sql += " ORDER BY " + ", ".join(terms)
            if self.rng.random() < 0.5:
                sql += f" LIMIT {self.rng.choice([1, 3, 10])}"
            return GeneratedQuery(sql, True, len(cols))
        return GeneratedQuery(sql, not keys, len(cols))

    def derived_query(self) -> GeneratedQuery:
        """An outer query over a grouped FROM subquery, or a UNION ALL of two queries."""
        if self.rng.random() < 0.5:
            inner = self.group_query()
            col = f"c{self.rng.randrange(inner.columns)}"
            sql = (f"SELECT count(*) AS c0, count({col}) AS c1 FROM ({inner.sql}) AS t "
                   f"WHERE {col} IS NOT NULL")
            return GeneratedQuery(sql, True)
        key = self.rng.choice(sorted(self.s.labels) + ["metric_name"])
        parts = []
        for _ in range(2):
            parts.append(f"SELECT {key} AS c0, count(*) AS c1, max(value) AS c2 FROM metrics{self.where()} "
                         f"GROUP BY {key}")
        op = self.rng.choice(["UNION ALL", "UNION"])
        sql = f" {op} ".join(parts)
        if self.rng.random() < 0.5:
            sql += " ORDER BY " + ", ".join(self.order_terms(["c0", "c1"]))
            sql += ", c2 ASC NULLS FIRST"
            return GeneratedQuery(sql, True)
        return GeneratedQuery(sql, False)

    def query(self) -> GeneratedQuery:
        r = self.rng.random()
        if r < 0.35:
            return self.row_query()
        if r < 0.9:
            return self.group_query()
        return self.derived_query()
