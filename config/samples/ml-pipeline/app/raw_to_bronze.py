"""raw_to_bronze: ingest a scikit-learn toy data set as the raw (bronze) table of the lakehouse."""

import argparse
from datetime import datetime, timezone

import taskkit

taskkit.use_scikit_learn_interpreter()  # before numpy/sklearn: may re-run this script under /usr/bin/python3

import sklearn  # noqa: E402
import sklearn.datasets  # noqa: E402

import layout  # noqa: E402
import tables  # noqa: E402


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dataset", required=True, choices=layout.DATASETS, help="scikit-learn toy data set")
    parser.add_argument("--date", help="the run's logical date (ds), recorded with the data")


def ingest(context: taskkit.RunContext, args: argparse.Namespace) -> taskkit.TaskResult:
    loader = getattr(sklearn.datasets, f"load_{args.dataset}")
    data = loader()
    columns = [*data.feature_names, layout.TARGET_COLUMN]
    rows = [[*features, int(target)] for features, target in zip(data.data, data.target)]

    tables.write_csv(context.path(layout.bronze_table(args.dataset)), columns, rows)
    taskkit.write_json(context.path(layout.bronze_schema(args.dataset)), {
        "dataset": args.dataset,
        "source": f"sklearn.datasets.load_{args.dataset} (scikit-learn {sklearn.__version__})",
        "columns": columns,
        "target_column": layout.TARGET_COLUMN,
        "target_names": [str(name) for name in data.target_names],
        "rows": len(rows),
        "logical_date": args.date or context.logical_date,
        "ingested_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    })
    print(f"raw_to_bronze: wrote {len(rows)} rows x {len(columns)} columns to {layout.bronze_table(args.dataset)}")
    return taskkit.TaskResult(
        outputs={"rows_ingested": len(rows), "columns": len(columns), "path": layout.bronze_table(args.dataset)},
        metrics={"rows_ingested": len(rows)},
    )


if __name__ == "__main__":
    taskkit.run_task("raw_to_bronze", __doc__, add_arguments, ingest,
                     fixed_params={"layer": "bronze", "transformation": "ingest"})
