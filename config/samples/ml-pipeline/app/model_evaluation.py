"""model_evaluation: score the trained model on the held-out test split (accuracy, macro F1)."""

import argparse
import pickle

import taskkit

taskkit.use_scikit_learn_interpreter()  # before numpy/sklearn: may re-run this script under /usr/bin/python3

import numpy as np  # noqa: E402
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, precision_score, recall_score  # noqa: E402

import layout  # noqa: E402


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dataset", required=True, choices=layout.DATASETS, help="scikit-learn toy data set")
    parser.add_argument("--date", help="the run's logical date (ds)")


def evaluate(context: taskkit.RunContext, args: argparse.Namespace) -> taskkit.TaskResult:
    card = taskkit.read_json(context.upstream_file(layout.MODEL_CARD, "model_training"))
    model_path = context.upstream_file(layout.MODEL, "model_training")
    with np.load(context.upstream_file(layout.TEST_SPLIT, "feature_engineering")) as split:
        x, y, feature_names = split["x"], split["y"], split["feature_names"].tolist()
    if card["dataset"] != args.dataset or card["feature_names"] != feature_names:
        raise taskkit.TaskError(f"{layout.MODEL_CARD} describes a model of {card['dataset']} on "
                                f"{card['feature_names']}, but the test split is {args.dataset} on {feature_names}: "
                                "rerun model_training")
    # The pickle is the one model_training wrote to this run's workspace.
    model = pickle.loads(model_path.read_bytes())
    predicted = model.predict(x)

    scores = {
        "accuracy": accuracy_score(y, predicted),
        "f1_score": f1_score(y, predicted, average="macro"),
        "precision": precision_score(y, predicted, average="macro", zero_division=0),
        "recall": recall_score(y, predicted, average="macro", zero_division=0),
    }
    scores = {name: round(float(value), 4) for name, value in scores.items()}
    taskkit.write_json(context.path(layout.EVALUATION), {
        "dataset": args.dataset,
        "model_type": card["model_type"],
        "test_rows": len(y),
        **scores,
        "average": "macro",
        "confusion_matrix": confusion_matrix(y, predicted).tolist(),
    })
    print(f"model_evaluation: {card['model_type']} on {len(y)} test rows: accuracy {scores['accuracy']:.4f}, "
          f"macro F1 {scores['f1_score']:.4f}")
    return taskkit.TaskResult(
        outputs={"accuracy": scores["accuracy"], "f1_score": scores["f1_score"], "test_rows": len(y)},
        metrics=scores,
        params={"model_type": card["model_type"]},
    )


if __name__ == "__main__":
    taskkit.run_task("model_evaluation", __doc__, add_arguments, evaluate,
                     fixed_params={"layer": "models", "transformation": "evaluate"})
