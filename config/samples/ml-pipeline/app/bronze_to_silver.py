"""bronze_to_silver: clean the raw table: type checks, missing values, duplicates; snake_case column names."""

import argparse
import math
import re

import taskkit

taskkit.use_scikit_learn_interpreter()  # before numpy: may re-run this script under /usr/bin/python3

import layout  # noqa: E402
import tables  # noqa: E402

MISSING = {"", "na", "nan", "null", "none"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dataset", required=True, choices=layout.DATASETS, help="scikit-learn toy data set")
    parser.add_argument("--date", help="the run's logical date (ds)")


def clean(context: taskkit.RunContext, args: argparse.Namespace) -> taskkit.TaskResult:
    schema = taskkit.read_json(context.upstream_file(layout.bronze_schema(args.dataset), "raw_to_bronze"))
    header, raw_rows = tables.read_rows(context.upstream_file(layout.bronze_table(args.dataset), "raw_to_bronze"))
    if header != schema["columns"]:
        raise taskkit.TaskError(f"{layout.bronze_table(args.dataset)}: columns {header} differ from the schema's "
                                f"{schema['columns']}")
    classes = len(schema["target_names"])

    dropped = {"missing": 0, "invalid": 0, "duplicate": 0}
    seen: set[tuple[float, ...]] = set()
    clean_rows = []
    for raw in raw_rows:
        problem, row = _check_row(raw, len(header), classes)
        if problem is None and row in seen:
            problem = "duplicate"
        if problem is not None:
            dropped[problem] += 1
            continue
        seen.add(row)
        clean_rows.append(row)
    if not clean_rows:
        raise taskkit.TaskError(f"{layout.bronze_table(args.dataset)}: no valid rows out of {len(raw_rows)} "
                                f"(dropped by reason: {dropped})")

    columns = [_snake_case(name) for name in header]
    tables.write_csv(context.path(layout.silver_table(args.dataset)), columns, clean_rows)
    taskkit.write_json(context.path(layout.silver_schema(args.dataset)), {
        "dataset": args.dataset,
        "columns": columns,
        "source_columns": dict(zip(columns, header)),
        "target_column": layout.TARGET_COLUMN,
        "target_names": schema["target_names"],
    })
    quality_score = round(len(clean_rows) / len(raw_rows), 4)
    reasons = " ".join(f"{reason}={count}" for reason, count in dropped.items())
    print(f"bronze_to_silver: kept {len(clean_rows)} of {len(raw_rows)} rows; dropped {reasons}")
    return taskkit.TaskResult(
        outputs={"rows": len(clean_rows), "rows_dropped": sum(dropped.values()), "quality_score": quality_score,
                 "path": layout.silver_table(args.dataset)},
        metrics={"rows": len(clean_rows), "quality_score": quality_score,
                 **{f"rows_dropped_{reason}": count for reason, count in dropped.items()}},
    )


def _check_row(raw: list[str], width: int, classes: int) -> tuple[str | None, tuple[float, ...]]:
    """Why a raw row is dropped (missing, invalid) or None, and its typed values."""
    if len(raw) != width:
        return "invalid", ()
    if any(cell.strip().lower() in MISSING for cell in raw):
        return "missing", ()
    try:
        values = tuple(float(cell) for cell in raw)
    except ValueError:
        return "invalid", ()
    target = values[-1]
    if not all(math.isfinite(v) for v in values) or not target.is_integer() or not 0 <= target < classes:
        return "invalid", ()
    return None, values[:-1] + (int(target),)


def _snake_case(name: str) -> str:
    """'mean radius' -> mean_radius, 'sepal length (cm)' -> sepal_length_cm, 'od280/od315_of...' -> od280_od315_of..."""
    return re.sub(r"[^0-9a-z]+", "_", name.lower()).strip("_")


if __name__ == "__main__":
    taskkit.run_task("bronze_to_silver", __doc__, add_arguments, clean,
                     fixed_params={"layer": "silver", "transformation": "clean"})
