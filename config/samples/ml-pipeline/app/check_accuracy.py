"""check_accuracy (a branch task): register the model when its test accuracy reaches the threshold.

Writes {"branch": "model_registry"} or {"branch": "notify_low_accuracy"} to $K8SFLOW_OUTPUT; K8sFlow
runs the chosen task and skips the other one.
"""

import argparse

import layout
import taskkit

# The Dag's task names this branch chooses between (its direct downstream tasks).
REGISTER = "model_registry"
NOTIFY = "notify_low_accuracy"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--accuracy", type=taskkit.parse_fraction,
                        help=f"test accuracy (default: read {layout.EVALUATION} from the workspace)")
    parser.add_argument("--threshold", required=True, type=taskkit.parse_number,
                        help="minimum accuracy to register the model (above 1: never register)")


def decide(context: taskkit.RunContext, args: argparse.Namespace) -> taskkit.TaskResult:
    accuracy = args.accuracy
    if accuracy is None:
        accuracy = float(taskkit.read_json(context.upstream_file(layout.EVALUATION, "model_evaluation"))["accuracy"])
    passed = accuracy >= args.threshold
    branch = REGISTER if passed else NOTIFY
    print(f"check_accuracy: accuracy {accuracy:.4f} {'>=' if passed else '<'} threshold {args.threshold:.4f}: "
          f"-> {branch}")
    return taskkit.TaskResult(
        outputs={"branch": branch, "accuracy": accuracy, "threshold": args.threshold, "passed": passed},
        metrics={"accuracy": accuracy, "threshold": args.threshold, "passed": float(passed)},
        params={"branch": branch},
    )


if __name__ == "__main__":
    taskkit.run_task("check_accuracy", __doc__, add_arguments, decide, fixed_params={"transformation": "gate"})
