"""silver_to_gold: business rules and aggregates: the ML-ready gold table and a per-class summary."""

import argparse

import taskkit

taskkit.use_scikit_learn_interpreter()  # before numpy: may re-run this script under /usr/bin/python3

import numpy as np  # noqa: E402

import layout  # noqa: E402
import tables  # noqa: E402

# A class with fewer rows cannot be split into train and test sets and evaluated meaningfully.
MIN_CLASS_ROWS = 10


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dataset", required=True, choices=layout.DATASETS, help="scikit-learn toy data set")
    parser.add_argument("--date", help="the run's logical date (ds)")


def aggregate(context: taskkit.RunContext, args: argparse.Namespace) -> taskkit.TaskResult:
    schema = taskkit.read_json(context.upstream_file(layout.silver_schema(args.dataset), "bronze_to_silver"))
    silver = tables.read_numeric(context.upstream_file(layout.silver_table(args.dataset), "bronze_to_silver"),
                                 schema["columns"])
    target_names = schema["target_names"]
    features = [c for c in silver.columns if c != layout.TARGET_COLUMN]
    target = silver.column(layout.TARGET_COLUMN).astype(int)

    counts = np.bincount(target, minlength=len(target_names))
    kept_classes = [c for c in range(len(target_names)) if counts[c] >= MIN_CLASS_ROWS]
    dropped_classes = [target_names[c] for c in range(len(target_names)) if 0 < counts[c] < MIN_CLASS_ROWS]
    if len(kept_classes) < 2:
        raise taskkit.TaskError(f"{layout.silver_table(args.dataset)}: fewer than 2 classes have {MIN_CLASS_ROWS} "
                                f"rows or more (rows per class: {dict(zip(target_names, counts.tolist()))})")
    gold = silver.values[np.isin(target, kept_classes)]
    target_index = silver.columns.index(layout.TARGET_COLUMN)
    gold_rows = [[int(v) if i == target_index else v for i, v in enumerate(row)] for row in gold.tolist()]
    tables.write_csv(context.path(layout.gold_table(args.dataset)), silver.columns, gold_rows)

    summary_columns = ["class", "class_name", "rows", "share", *(f"mean_{f}" for f in features)]
    summary = []
    for c in kept_classes:
        members = silver.values[target == c][:, [silver.columns.index(f) for f in features]]
        summary.append([c, target_names[c], len(members), round(len(members) / len(gold), 4),
                        *members.mean(axis=0).round(6).tolist()])
    tables.write_csv(context.path(layout.gold_class_summary(args.dataset)), summary_columns, summary)

    minority_share = min(row[3] for row in summary)
    for row in summary:
        print(f"silver_to_gold: class {row[1]!r}: {row[2]} rows ({row[3]:.1%})")
    if dropped_classes:
        print(f"silver_to_gold: dropped classes with fewer than {MIN_CLASS_ROWS} rows: {dropped_classes}")
    return taskkit.TaskResult(
        outputs={"rows": len(gold), "classes": len(kept_classes), "path": layout.gold_table(args.dataset),
                 "summary_path": layout.gold_class_summary(args.dataset)},
        metrics={"rows": len(gold), "classes": len(kept_classes), "minority_class_share": minority_share},
    )


if __name__ == "__main__":
    taskkit.run_task("silver_to_gold", __doc__, add_arguments, aggregate,
                     fixed_params={"layer": "gold", "transformation": "aggregate"})
