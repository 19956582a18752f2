"""notify_low_accuracy: report that the model missed the accuracy threshold and was not registered."""

import argparse

import taskkit


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--accuracy", required=True, type=taskkit.parse_fraction, help="test accuracy")
    parser.add_argument("--threshold", required=True, type=taskkit.parse_number, help="the accuracy required")


def notify(context: taskkit.RunContext, args: argparse.Namespace) -> taskkit.TaskResult:
    # The pod log is the notification channel of this sample; a webhook or e-mail call would go here.
    print(f"notify_low_accuracy: LOW ACCURACY in {context.dag} run {context.run_id}: the model scored "
          f"{args.accuracy:.4f}, below the threshold {args.threshold:.4f}; it was NOT registered. "
          "Try another model_type, or review the data quality metrics of bronze_to_silver.")
    return taskkit.TaskResult(
        outputs={"notified": True, "accuracy": args.accuracy, "threshold": args.threshold},
        metrics={"accuracy": args.accuracy, "threshold": args.threshold},
    )


if __name__ == "__main__":
    taskkit.run_task("notify_low_accuracy", __doc__, add_arguments, notify, fixed_params={"transformation": "notify"})
