"""The cnn model served over REST (``mlflow models serve``) against the same model called in-process:
requests per second and p50 / p99 latency, for batches of 1 and of 64 images. The model is trained
on digits in a throw-away copy of the project (a few seconds), then served from that copy's MLflow
store on 127.0.0.1.

    .venv/bin/python benchmarks/serving.py                  # 200 requests per batch size
    .venv/bin/python benchmarks/serving.py --requests 1000

Requests are sent one after another by one client (the latency a caller sees); prints one
Markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
from common import kedro_run, machine_line, progress, project_copy
from mlflow.utils import find_free_port

BATCHES = (1, 64)


def timed(call, requests: int) -> dict[str, float]:
    """Requests per second and latency percentiles (ms) of ``requests`` sequential calls."""
    call()  # warm-up: the first call traces the model's graph
    seconds = []
    for _ in range(requests):
        start = time.perf_counter()
        call()
        seconds.append(time.perf_counter() - start)
    p50, p99 = np.percentile(seconds, [50, 99]) * 1000
    return {"rps": len(seconds) / sum(seconds), "p50_ms": float(p50), "p99_ms": float(p99)}


def serve(uri: str, tracking_uri: str) -> tuple[subprocess.Popen, str]:
    """``mlflow models serve`` of ``uri`` on a free port; returns the process and its base URL."""
    port = find_free_port()
    env = {**os.environ, "MLFLOW_TRACKING_URI": tracking_uri,
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    server = subprocess.Popen([sys.executable, "-m", "mlflow", "models", "serve", "-m", uri, "--env-manager",
                               "local", "-h", "127.0.0.1", "-p", str(port)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            with urllib.request.urlopen(f"{url}/ping", timeout=5):
                return server, url
        except OSError:
            if server.poll() is not None:
                raise SystemExit(f"mlflow models serve {uri} stopped ({server.returncode})") from None
            time.sleep(0.5)
    server.kill()
    raise SystemExit(f"mlflow models serve {uri} did not answer within 5 minutes")


def measure(requests: int) -> list[dict[str, float]]:
    import keras
    import mlflow

    keras.config.disable_interactive_logging()  # MLflow's Keras flavor predicts with a progress bar

    rows = []
    with project_copy() as root:
        progress("serving: training cnn on digits ...")
        kedro_run(root, "cnn", "cnn.training.epochs=5,cnn.training.verbose=0")
        tracking_uri = f"sqlite:///{root / 'mlflow.db'}"
        mlflow.set_tracking_uri(tracking_uri)
        uri = "models:/dl_pipelines.cnn/latest"
        model = mlflow.pyfunc.load_model(uri)
        images = np.load(root / "data/05_model_input/cnn/model_input.npz")["x_test"]
        server, url = serve(uri, tracking_uri)
        try:
            for batch in BATCHES:
                inputs = images[:batch]
                body = json.dumps({"inputs": inputs.tolist()}).encode()

                def over_rest(body: bytes = body) -> None:
                    request = urllib.request.Request(f"{url}/invocations", data=body,
                                                     headers={"Content-Type": "application/json"})
                    with urllib.request.urlopen(request, timeout=60) as response:
                        response.read()

                progress(f"serving: batch {batch}, {requests} requests over REST and in-process ...")
                rest = timed(over_rest, requests)
                rows.append({"batch": batch, "how": "REST (`mlflow models serve`)", **rest})
                rows.append({"batch": batch, "how": "in-process (`pyfunc.predict`)",
                             **timed(lambda inputs=inputs: model.predict(inputs), requests)})
        finally:
            server.terminate()
            server.wait(timeout=30)
    return rows


def table(rows: list[dict[str, float]], requests: int) -> str:
    lines = [f"The cnn model (digits, 8x8 images) over REST and in-process, {requests} sequential "
             f"requests per row: {machine_line(1)}", "",
             "| batch | how | requests/s | images/s | p50 (ms) | p99 (ms) |",
             "|---:|---|---:|---:|---:|---:|"]
    for row in rows:
        images = row["rps"] * row["batch"]
        lines.append(f"| {row['batch']} | {row['how']} | {row['rps']:,.0f} | {images:,.0f} "
                     f"| {row['p50_ms']:.1f} | {row['p99_ms']:.1f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200, help="requests per row (default: 200)")
    args = parser.parse_args(argv)
    print(table(measure(args.requests), args.requests))


if __name__ == "__main__":
    main()
