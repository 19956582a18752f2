"""model_registry: register the evaluated model as a new version under registry/<name>/<version>/.

Each version holds the model file and metadata.json (params, metrics, lineage: dag, run id, task,
try). Re-running the task in the same run (a retry) finds its own version instead of adding one.
"""

import argparse
import hashlib
import shutil
import tempfile
from datetime import datetime, timezone
from pathlib import Path

import layout
import taskkit

METADATA = "metadata.json"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dataset", required=True, choices=layout.DATASETS, help="scikit-learn toy data set")
    parser.add_argument("--model-type", required=True, choices=layout.MODEL_TYPES, help="the trained classifier")
    parser.add_argument("--accuracy", type=taskkit.parse_fraction,
                        help=f"test accuracy (default: read {layout.EVALUATION} from the workspace)")
    parser.add_argument("--name", help="registered model name (default: <dataset>_classifier)")


def register(context: taskkit.RunContext, args: argparse.Namespace) -> taskkit.TaskResult:
    model = context.upstream_file(layout.MODEL, "model_training")
    card = taskkit.read_json(context.upstream_file(layout.MODEL_CARD, "model_training"))
    evaluation = taskkit.read_json(context.upstream_file(layout.EVALUATION, "model_evaluation"))
    if (card["dataset"], card["model_type"]) != (args.dataset, args.model_type):
        raise taskkit.TaskError(f"{layout.MODEL} is a {card['model_type']} model of {card['dataset']}, not the "
                                f"{args.model_type} model of {args.dataset} this task was asked to register")
    name = args.name or layout.registered_model_name(args.dataset)
    accuracy = args.accuracy if args.accuracy is not None else evaluation["accuracy"]
    digest = hashlib.sha256(model.read_bytes()).hexdigest()
    models = context.path(layout.REGISTRY) / name

    version = _version_of_this_run(models, context.run_id, digest)
    if version is None:
        version = _next_version(models)
        _publish(models / str(version), model, {
            "name": name,
            "version": version,
            "model_file": model.name,
            "sha256": digest,
            "params": {"dataset": args.dataset, "model_type": args.model_type,
                       "hyperparameters": card["hyperparameters"], "features": card["feature_names"]},
            "metrics": {"train_accuracy": card["train_accuracy"], "accuracy": accuracy,
                        "f1_score": evaluation["f1_score"]},
            "run": {"dag": context.dag, "run_id": context.run_id, "task": context.task,
                    "try_number": context.try_number, "logical_date": context.logical_date},
            "scikit_learn_version": card["scikit_learn_version"],
            "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        })
        print(f"model_registry: registered {name} version {version} (sha256 {digest[:12]})")
    else:
        print(f"model_registry: {name} version {version} already holds this run's model (a retry); kept it")

    uri = (models / str(version) / model.name).resolve().as_uri()
    return taskkit.TaskResult(
        outputs={"model_name": name, "model_version": version, "model_uri": uri},
        metrics={"model_version": version, "accuracy": accuracy},
        params={"model_name": name, "model_uri": uri},
    )


def _versions(models: Path) -> list[int]:
    return sorted(int(p.name) for p in models.glob("*") if p.is_dir() and p.name.isdigit()) if models.is_dir() else []


def _version_of_this_run(models: Path, run_id: str, digest: str) -> int | None:
    for version in _versions(models):
        metadata = models / str(version) / METADATA
        if metadata.is_file():
            found = taskkit.read_json(metadata)
            if found.get("sha256") == digest and found.get("run", {}).get("run_id") == run_id:
                return version
    return None


def _next_version(models: Path) -> int:
    return max(_versions(models), default=0) + 1


def _publish(target: Path, model: Path, metadata: dict[str, object]) -> None:
    """Builds the version in a hidden directory and renames it: a version is complete or absent."""
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}."))
    try:
        shutil.copy2(model, staging / model.name)
        taskkit.write_json(staging / METADATA, metadata)
        staging.rename(target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


if __name__ == "__main__":
    taskkit.run_task("model_registry", __doc__, add_arguments, register,
                     fixed_params={"layer": "registry", "transformation": "register"})
