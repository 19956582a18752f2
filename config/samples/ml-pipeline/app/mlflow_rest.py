"""A minimal MLflow tracking client over the REST API (urllib only: the task image needs no mlflow package).

Uses four endpoints of /api/2.0/mlflow: experiments/get-by-name (or experiments/create), runs/create,
runs/log-batch and runs/update. Reads the environment variables the mlflow package reads:
MLFLOW_TRACKING_URI, MLFLOW_TRACKING_TOKEN or MLFLOW_TRACKING_USERNAME/MLFLOW_TRACKING_PASSWORD, and
MLFLOW_HTTP_REQUEST_TIMEOUT (seconds).
"""

from __future__ import annotations

import base64
import http.client
import json
import math
import os
import time
import urllib.error
import urllib.parse
import urllib.request

DEFAULT_EXPERIMENT = "lakehouse_ml_pipeline"
DEFAULT_TIMEOUT_SECONDS = 10.0
# MLflow's limits per log-batch call and per param value (older servers: 500 characters).
MAX_PARAMS_PER_BATCH = 100
MAX_PARAM_VALUE_LENGTH = 500


class MlflowUnavailable(Exception):
    """The tracking server could not be reached or refused a call; the message says which call and why."""


class MlflowClient:
    def __init__(self, base_uri: str, timeout: float, headers: dict[str, str]) -> None:
        self._base_uri = base_uri
        self._api = base_uri.rstrip("/") + "/api/2.0/mlflow/"
        self._timeout = timeout
        self._headers = {"Content-Type": "application/json", **headers}

    @classmethod
    def from_env(cls) -> MlflowClient | None:
        """The client MLFLOW_TRACKING_URI names, or None when it is unset (tracking is optional)."""
        uri = os.environ.get("MLFLOW_TRACKING_URI", "").strip()
        if not uri:
            return None
        return cls(uri, _timeout_from_env(), _auth_headers_from_env())

    def log_run(self, experiment: str, tags: dict[str, str], params: dict[str, str], metrics: dict[str, float],
                start_ms: int) -> str:
        """Creates one finished run with these tags, params and metrics; returns its run id."""
        if not self._base_uri.startswith(("http://", "https://")):
            raise MlflowUnavailable(f"MLFLOW_TRACKING_URI must be an http(s) URL, not {self._base_uri!r}")
        try:
            return self._log_run(experiment, tags, params, metrics, start_ms)
        except (KeyError, TypeError) as error:
            raise MlflowUnavailable(f"unexpected response from {self._base_uri} (missing {error})") from None

    def _log_run(self, experiment: str, tags: dict[str, str], params: dict[str, str], metrics: dict[str, float],
                 start_ms: int) -> str:
        experiment_id = self._experiment_id(experiment)
        created = self._call("runs/create", {
            "experiment_id": experiment_id,
            "start_time": start_ms,
            "tags": _key_values(tags),
        })
        run_id = created["run"]["info"]["run_id"]
        now_ms = int(time.time() * 1000)
        param_items = _key_values({k: v[:MAX_PARAM_VALUE_LENGTH] for k, v in params.items()})
        metric_items = [{"key": key, "value": float(value), "timestamp": now_ms, "step": 0}
                        for key, value in metrics.items() if math.isfinite(value)]
        for start in range(0, max(len(param_items), 1), MAX_PARAMS_PER_BATCH):
            self._call("runs/log-batch", {
                "run_id": run_id,
                "params": param_items[start:start + MAX_PARAMS_PER_BATCH],
                "metrics": metric_items if start == 0 else [],
            })
        self._call("runs/update", {"run_id": run_id, "status": "FINISHED", "end_time": now_ms})
        return run_id

    def _experiment_id(self, name: str) -> str:
        found = self._call("experiments/get-by-name", query={"experiment_name": name}, missing_ok=True)
        if found is not None:
            return found["experiment"]["experiment_id"]
        created = self._call("experiments/create", {"name": name}, exists_ok=True)
        if created is not None:
            return created["experiment_id"]
        # Another task created it between our two calls.
        return self._call("experiments/get-by-name", query={"experiment_name": name})["experiment"]["experiment_id"]

    def _call(self, endpoint: str, body: dict[str, object] | None = None, query: dict[str, str] | None = None,
              missing_ok: bool = False, exists_ok: bool = False) -> dict | None:
        url = self._api + endpoint + ("?" + urllib.parse.urlencode(query) if query else "")
        data = json.dumps(body).encode("utf-8") if body is not None else None
        request = urllib.request.Request(url, data=data, headers=self._headers, method="POST" if data else "GET")
        try:
            with urllib.request.urlopen(request, timeout=self._timeout) as response:
                text = response.read().decode("utf-8")
            return json.loads(text) if text.strip() else {}
        except urllib.error.HTTPError as error:
            code = _error_code(error)
            if (missing_ok and code == "RESOURCE_DOES_NOT_EXIST") or (exists_ok and code == "RESOURCE_ALREADY_EXISTS"):
                return None
            raise MlflowUnavailable(f"{endpoint}: HTTP {error.code} {code or error.reason} from {url}") from None
        except (OSError, ValueError, http.client.HTTPException) as error:
            reason = getattr(error, "reason", error)
            raise MlflowUnavailable(f"{endpoint}: cannot reach {url}: {reason}") from None


def _key_values(values: dict[str, str]) -> list[dict[str, str]]:
    return [{"key": key, "value": value} for key, value in values.items()]


def _error_code(error: urllib.error.HTTPError) -> str:
    try:
        return str(json.loads(error.read().decode("utf-8")).get("error_code", ""))
    except (ValueError, OSError, AttributeError):
        return ""


def _timeout_from_env() -> float:
    try:
        return float(os.environ.get("MLFLOW_HTTP_REQUEST_TIMEOUT", DEFAULT_TIMEOUT_SECONDS))
    except ValueError:
        return DEFAULT_TIMEOUT_SECONDS


def _auth_headers_from_env() -> dict[str, str]:
    token = os.environ.get("MLFLOW_TRACKING_TOKEN")
    if token:
        return {"Authorization": f"Bearer {token}"}
    user, password = os.environ.get("MLFLOW_TRACKING_USERNAME"), os.environ.get("MLFLOW_TRACKING_PASSWORD")
    if user and password:
        basic = base64.b64encode(f"{user}:{password}".encode("utf-8")).decode("ascii")
        return {"Authorization": f"Basic {basic}"}
    return {}
