"""model_training: train the classifier --model-type names on the training split and save it."""

import argparse
import pickle
from datetime import datetime, timezone

import taskkit

taskkit.use_scikit_learn_interpreter()  # before numpy/sklearn: may re-run this script under /usr/bin/python3

import numpy as np  # noqa: E402
import sklearn  # noqa: E402
from sklearn.ensemble import GradientBoostingClassifier, RandomForestClassifier  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.metrics import accuracy_score  # noqa: E402
from sklearn.pipeline import Pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

import layout  # noqa: E402

RANDOM_STATE = 42
# One classifier per --model-type; fixed seeds make a rerun of the same run train the same model.
CLASSIFIERS = {
    "random_forest": lambda: RandomForestClassifier(n_estimators=100, random_state=RANDOM_STATE, n_jobs=1),
    "logistic_regression": lambda: LogisticRegression(max_iter=1000, random_state=RANDOM_STATE),
    "gradient_boosting": lambda: GradientBoostingClassifier(n_estimators=100, random_state=RANDOM_STATE),
}
# The hyperparameters worth comparing across runs in MLflow (the model card keeps them all).
LOGGED_HYPERPARAMETERS = {"n_estimators", "max_depth", "learning_rate", "C", "max_iter", "random_state"}
assert set(CLASSIFIERS) == set(layout.MODEL_TYPES), "every model type needs a classifier"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dataset", required=True, choices=layout.DATASETS, help="scikit-learn toy data set")
    parser.add_argument("--model-type", required=True, choices=layout.MODEL_TYPES, help="classifier to train")
    parser.add_argument("--date", help="the run's logical date (ds)")


def train(context: taskkit.RunContext, args: argparse.Namespace) -> taskkit.TaskResult:
    with np.load(context.upstream_file(layout.TRAIN_SPLIT, "feature_engineering")) as split:
        x, y, feature_names = split["x"], split["y"], split["feature_names"].tolist()

    classifier = CLASSIFIERS[args.model_type]()
    model = Pipeline([("scale", StandardScaler()), ("classify", classifier)])
    model.fit(x, y)
    train_accuracy = round(float(accuracy_score(y, model.predict(x))), 4)

    taskkit.write_bytes(context.path(layout.MODEL), pickle.dumps(model))
    hyperparameters = {k: v for k, v in classifier.get_params().items() if isinstance(v, (int, float, str, bool))}
    taskkit.write_json(context.path(layout.MODEL_CARD), {
        "dataset": args.dataset,
        "model_type": args.model_type,
        "estimator": type(classifier).__name__,
        "hyperparameters": hyperparameters,
        "feature_names": feature_names,
        "classes": [int(c) for c in model.classes_],
        "train_rows": len(y),
        "train_accuracy": train_accuracy,
        "scikit_learn_version": sklearn.__version__,
        "trained_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    })
    print(f"model_training: {type(classifier).__name__} on {len(y)} rows x {len(feature_names)} features, "
          f"train accuracy {train_accuracy:.4f}")
    return taskkit.TaskResult(
        outputs={"model_type": args.model_type, "train_accuracy": train_accuracy, "path": layout.MODEL},
        metrics={"train_accuracy": train_accuracy},
        params={"estimator": type(classifier).__name__,
                **{f"hp_{k}": str(v) for k, v in sorted(hyperparameters.items()) if k in LOGGED_HYPERPARAMETERS}},
    )


if __name__ == "__main__":
    taskkit.run_task("model_training", __doc__, add_arguments, train,
                     fixed_params={"layer": "models", "transformation": "train"})
