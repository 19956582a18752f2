"""What every task of the ML pipeline sample shares (standard library only).

A task is a script with a ``main`` that calls :func:`run_task`: it parses the command line, reads the
K8sFlow environment (K8SFLOW_DAG, K8SFLOW_RUN_ID, K8SFLOW_TASK, K8SFLOW_TRY_NUMBER, K8SFLOW_WORKSPACE,
K8SFLOW_OUTPUT), prints its params and metrics (they become the pod's log), writes its outputs as one JSON
object to $K8SFLOW_OUTPUT and logs params and metrics to MLflow when MLFLOW_TRACKING_URI is set.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import os
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, NoReturn

import mlflow_rest

# Debian's python3-sklearn lives here; the `python3` first on PATH may be another interpreter without it.
SYSTEM_PYTHON = "/usr/bin/python3"
# A Kubernetes termination message (where $K8SFLOW_OUTPUT points in a cluster) holds at most 4096 bytes.
MAX_OUTPUT_BYTES = 4096
# Exit code for bad input (unknown dataset, missing upstream files): the message says what to fix.
EXIT_BAD_INPUT = 2
# MLflow's run start and the "done in" line count from here: interpreter start-up and imports included.
STARTED = time.time()


class TaskError(Exception):
    """Bad input or missing upstream data: the task prints the message and exits with EXIT_BAD_INPUT."""


@dataclass(frozen=True)
class RunContext:
    """Who runs this attempt and where it keeps files, as the K8sFlow job runner sets it."""

    dag: str
    run_id: str
    task: str
    try_number: int
    logical_date: str
    workspace: Path
    output_file: Path | None

    def path(self, relative: str) -> Path:
        """A file in the run's workspace (shared by every task of the run)."""
        return self.workspace / relative

    def upstream_file(self, relative: str, produced_by: str) -> Path:
        """A file an upstream task wrote; a clear TaskError when it is not there."""
        path = self.path(relative)
        if not path.is_file():
            raise TaskError(f"{relative} not found in the workspace {self.workspace}: run {produced_by} first "
                            "(tasks of one run share files through $K8SFLOW_WORKSPACE)")
        return path


@dataclass(frozen=True)
class TaskResult:
    """What a task reports: outputs (to $K8SFLOW_OUTPUT), metrics and extra params (to the log and MLflow)."""

    outputs: dict[str, object]
    metrics: dict[str, float] = field(default_factory=dict)
    params: dict[str, str] = field(default_factory=dict)


def use_scikit_learn_interpreter() -> None:
    """Re-runs this script under /usr/bin/python3 when the running interpreter cannot import scikit-learn.

    Call it before importing numpy or sklearn. In the task image `python3` has scikit-learn and nothing
    happens; on a machine where another python3 (pyenv, a venv) comes first on PATH, the script continues
    under Debian's interpreter, without the other interpreter's PYTHONPATH and PYTHONHOME.
    """
    if importlib.util.find_spec("sklearn") is not None:
        return
    here = os.path.realpath(sys.executable or "")
    if os.path.exists(SYSTEM_PYTHON) and here != os.path.realpath(SYSTEM_PYTHON):
        sys.stdout.flush()
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
        os.execve(SYSTEM_PYTHON, [SYSTEM_PYTHON, *sys.argv], env)
    print(f"error: scikit-learn is not importable by {sys.executable} nor {SYSTEM_PYTHON}; install it with "
          "`apt-get install python3-sklearn` (or `pip install scikit-learn`)", file=sys.stderr)
    sys.exit(1)


def run_task(name: str, description: str, add_arguments: Callable[[argparse.ArgumentParser], None],
             body: Callable[[RunContext, argparse.Namespace], TaskResult],
             fixed_params: dict[str, str] | None = None) -> NoReturn:
    """Runs one task attempt end to end and exits: 0 on success, 2 on bad input, 1 on anything else.

    The params logged are the command-line arguments, fixed_params (what the task is, e.g. its lakehouse
    layer) and the params the body reports.
    """
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]  # logs stay in order in a pipe
    parser = argparse.ArgumentParser(prog=name, description=description)
    add_arguments(parser)
    args = parser.parse_args()
    try:
        context = _context_from_env(name)
        params = {key: str(value) for key, value in vars(args).items() if value is not None} | (fixed_params or {})
        print(f"{name}: dag={context.dag} run_id={context.run_id} task={context.task} try={context.try_number}")
        print(f"{name}: workspace={context.workspace}")
        _print_values(name, "param", params)
        result = body(context, args)
    except TaskError as error:
        print(f"{name}: error: {error}", file=sys.stderr)
        sys.exit(EXIT_BAD_INPUT)

    _print_values(name, "param", result.params)
    _print_values(name, "metric", result.metrics)
    _write_outputs(context.output_file, result.outputs)
    _log_to_mlflow(context, {**params, **result.params}, result.metrics, STARTED)
    print(f"{name}: done in {time.time() - STARTED:.1f}s")
    sys.exit(0)


def parse_fraction(text: str) -> float:
    """argparse type of accuracy-like numbers: finite, between 0 and 1."""
    value = parse_number(text)
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not between 0 and 1")
    return value


def parse_number(text: str) -> float:
    """argparse type of a finite number (a template that did not render, e.g. '{{ ... }}', is refused)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{text!r} is not a finite number")
    return value


def read_json(path: Path) -> dict[str, object]:
    with path.open(encoding="utf-8") as stream:
        return json.load(stream)


def write_json(path: Path, value: object) -> None:
    write_text(path, json.dumps(value, indent=2, sort_keys=True) + "\n")


def write_text(path: Path, text: str) -> None:
    write_bytes(path, text.encode("utf-8"))


def write_bytes(path: Path, data: bytes) -> None:
    """Writes atomically (temp file + rename): a retried task never sees half a file from an earlier try."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(descriptor, "wb") as stream:
            stream.write(data)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def _context_from_env(name: str) -> RunContext:
    workspace = os.environ.get("K8SFLOW_WORKSPACE", "")
    if not workspace:
        raise TaskError("K8SFLOW_WORKSPACE is not set: the tasks of a run share files through it (set "
                        "spec.workspace in the Dag, or export K8SFLOW_WORKSPACE=DIR to run a task by hand)")
    try_number = os.environ.get("K8SFLOW_TRY_NUMBER", "1")
    if not try_number.isdigit():
        raise TaskError(f"K8SFLOW_TRY_NUMBER={try_number!r} is not a positive integer")
    output = os.environ.get("K8SFLOW_OUTPUT", "")
    return RunContext(
        dag=os.environ.get("K8SFLOW_DAG", "ml-pipeline"),
        run_id=os.environ.get("K8SFLOW_RUN_ID", "manual"),
        task=os.environ.get("K8SFLOW_TASK", name),
        try_number=int(try_number),
        logical_date=os.environ.get("K8SFLOW_LOGICAL_DATE", ""),
        workspace=Path(workspace),
        output_file=Path(output) if output else None,
    )


def _print_values(name: str, kind: str, values: dict[str, object]) -> None:
    for key, value in values.items():
        print(f"{name}: {kind} {key}={value}")


def _write_outputs(output_file: Path | None, outputs: dict[str, object]) -> None:
    text = json.dumps(outputs, separators=(",", ":"), sort_keys=True)
    if len(text.encode("utf-8")) > MAX_OUTPUT_BYTES:
        raise RuntimeError(f"outputs are {len(text)} bytes, over the {MAX_OUTPUT_BYTES}-byte termination message "
                           "limit: keep large results in the workspace and output their paths")
    print(f"outputs: {text}")
    if output_file is not None:
        output_file.parent.mkdir(parents=True, exist_ok=True)
        output_file.write_text(text, encoding="utf-8")


def _log_to_mlflow(context: RunContext, params: dict[str, str], metrics: dict[str, float], started: float) -> None:
    """Logs to MLflow when MLFLOW_TRACKING_URI is set; MLflow trouble is a warning, never a failed task."""
    client = mlflow_rest.MlflowClient.from_env()
    if client is None:
        return
    experiment = os.environ.get("MLFLOW_EXPERIMENT_NAME") or mlflow_rest.DEFAULT_EXPERIMENT
    tags = {
        "mlflow.runName": f"{context.task} {context.run_id}",
        "k8sflow.dag": context.dag,
        "k8sflow.run_id": context.run_id,
        "k8sflow.task": context.task,
        "k8sflow.try_number": str(context.try_number),
    }
    try:
        run_id = client.log_run(experiment, tags, params, metrics, start_ms=int(started * 1000))
        print(f"{context.task}: logged to MLflow experiment {experiment!r}, run {run_id}")
    except mlflow_rest.MlflowUnavailable as error:
        print(f"{context.task}: warning: MLflow logging skipped ({error}); the task result is unaffected",
              file=sys.stderr)

