"""feature_engineering: select features on the training rows and make a stratified train/test split.

Scaling is not done here but inside the model pipeline, fitted on the training rows only, so no
statistic of the test rows leaks into training.
"""

import argparse

import taskkit

taskkit.use_scikit_learn_interpreter()  # before numpy/sklearn: may re-run this script under /usr/bin/python3

import numpy as np  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402

import layout  # noqa: E402
import tables  # noqa: E402

TEST_SIZE = 0.25
RANDOM_STATE = 42
# Of two features this correlated (|Pearson r| above it), the later one adds little and is dropped.
MAX_ABS_CORRELATION = 0.95


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dataset", required=True, choices=layout.DATASETS, help="scikit-learn toy data set")
    parser.add_argument("--date", help="the run's logical date (ds)")


def build_features(context: taskkit.RunContext, args: argparse.Namespace) -> taskkit.TaskResult:
    schema = taskkit.read_json(context.upstream_file(layout.silver_schema(args.dataset), "bronze_to_silver"))
    gold = tables.read_numeric(context.upstream_file(layout.gold_table(args.dataset), "silver_to_gold"),
                               schema["columns"])
    names = [c for c in gold.columns if c != layout.TARGET_COLUMN]
    x = gold.values[:, [gold.columns.index(n) for n in names]]
    y = gold.column(layout.TARGET_COLUMN).astype(int)

    x_train, x_test, y_train, y_test = train_test_split(
        x, y, test_size=TEST_SIZE, stratify=y, random_state=RANDOM_STATE)
    dropped = _redundant_features(x_train, names)
    kept = [i for i, name in enumerate(names) if name not in dropped]
    kept_names = [names[i] for i in kept]

    for path, features, labels in ((layout.TRAIN_SPLIT, x_train, y_train), (layout.TEST_SPLIT, x_test, y_test)):
        context.path(path).parent.mkdir(parents=True, exist_ok=True)
        np.savez(context.path(path), x=features[:, kept], y=labels, feature_names=np.array(kept_names))
    taskkit.write_json(context.path(layout.FEATURE_SPEC), {
        "dataset": args.dataset,
        "features": kept_names,
        "dropped": dropped,
        "split": {"test_size": TEST_SIZE, "random_state": RANDOM_STATE, "stratify": layout.TARGET_COLUMN,
                  "train_rows": len(y_train), "test_rows": len(y_test)},
    })
    for name, reason in dropped.items():
        print(f"feature_engineering: dropped {name}: {reason}")
    print(f"feature_engineering: {len(kept_names)} features; {len(y_train)} train rows, {len(y_test)} test rows")
    return taskkit.TaskResult(
        outputs={"features": len(kept_names), "features_dropped": len(dropped), "train_rows": len(y_train),
                 "test_rows": len(y_test)},
        metrics={"features": len(kept_names), "features_dropped": len(dropped), "train_rows": len(y_train),
                 "test_rows": len(y_test)},
    )


def _redundant_features(x_train: np.ndarray, names: list[str]) -> dict[str, str]:
    """Constant features, and each feature too correlated with an earlier kept one (computed on train rows)."""
    dropped: dict[str, str] = {}
    constant = x_train.std(axis=0) == 0
    for i in np.flatnonzero(constant):
        dropped[names[i]] = "constant on the training rows"
    varying = np.flatnonzero(~constant)
    correlation = np.corrcoef(x_train[:, varying], rowvar=False) if len(varying) > 1 else np.ones((1, 1))
    kept: list[int] = []
    for position, i in enumerate(varying):
        twin = next((k for k in kept if abs(correlation[position, k]) > MAX_ABS_CORRELATION), None)
        if twin is None:
            kept.append(position)
        else:
            r = correlation[position, twin]
            dropped[names[i]] = f"|r| = {abs(r):.3f} with {names[varying[twin]]}"
    return dropped


if __name__ == "__main__":
    taskkit.run_task("feature_engineering", __doc__, add_arguments, build_features,
                     fixed_params={"layer": "features", "transformation": "select_and_split"})
