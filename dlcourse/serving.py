"""A trained digits classifier behind a small HTTP API: ONNX export, onnxruntime inference, FastAPI validation.

The model leaves Python as an ONNX file (a graph of standard operators that runtimes in C++, Java, C#, JavaScript
and on phones can execute); the service loads that file with onnxruntime, so it needs neither torch nor the training
code. The API validates every request before the model sees it and answers bad input with a 4xx status and a
message saying what was expected::

    POST /predict  {"pixels": [[64 numbers in 0..16], ...]}  ->  {"labels": [...], "probabilities": [[...], ...]}
    GET  /health                                               ->  {"status": "ok", "model": "...", "inputs": 64}

Run it for real with ``uvicorn`` (``python -m dlcourse.serving MODEL.onnx --port 8000``, on 127.0.0.1 by default);
the tests and the chapter use FastAPI's in-process test client, so nothing listens on a network port.
"""

from __future__ import annotations

import argparse
import logging
import math
import warnings
from pathlib import Path

import numpy as np
import torch
from fastapi import FastAPI
from pydantic import BaseModel, Field, field_validator

__all__ = ["N_PIXELS", "PredictRequest", "create_app", "export_onnx", "onnx_session"]

N_PIXELS = 64  # the 8x8 digits, flattened row by row
MAX_PIXEL = 16.0  # scikit-learn's digits store grey levels 0..16
MAX_BATCH = 256  # one request may not ask for unbounded work


def export_onnx(model: torch.nn.Module, path: str | Path, *, n_features: int = N_PIXELS) -> Path:
    """Write ``model`` (float32 input (N, n_features) -> logits (N, K)) to an ONNX file with a dynamic batch size.

    Args:
        model: a torch module in eval mode (it is put there).
        path: the .onnx file to write.
        n_features: input width D.
    Returns:
        The path written.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    model = model.eval().float()
    example = (torch.zeros(2, n_features),)
    batch = torch.export.Dim("batch", min=1, max=4096)
    # torch.export's internals warn about their own deprecated calls, and the exporter logs that torchvision's
    # operators are skipped when torchvision is absent: nothing the caller can act on, so neither is shown
    registry_log = logging.getLogger("torch.onnx._internal.exporter._registration")
    level = registry_log.level
    registry_log.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            torch.onnx.export(model, example, str(path), input_names=["pixels"], output_names=["logits"],
                              dynamic_shapes=({0: batch},), dynamo=True, verbose=False, optimize=True)
    finally:
        registry_log.setLevel(level)
    return path


def onnx_session(path: str | Path):
    """An onnxruntime InferenceSession on the CPU with one thread (a service handles many small requests)."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    return ort.InferenceSession(str(path), sess_options=options, providers=["CPUExecutionProvider"])


class PredictRequest(BaseModel):
    """A batch of digits: each a list of 64 grey levels in [0, 16] (rows of the 8x8 image, top to bottom)."""

    pixels: list[list[float]] = Field(min_length=1, max_length=MAX_BATCH)

    @field_validator("pixels")
    @classmethod
    def _check_pixels(cls, rows: list[list[float]]) -> list[list[float]]:
        for i, row in enumerate(rows):
            if len(row) != N_PIXELS:
                raise ValueError(f"image {i}: expected {N_PIXELS} pixel values, got {len(row)}")
            bad = [v for v in row if not math.isfinite(v) or not 0.0 <= v <= MAX_PIXEL]
            if bad:
                raise ValueError(f"image {i}: expected finite values in [0, {MAX_PIXEL:g}], got {bad[0]!r}")
        return rows


def _softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=1, keepdims=True)  # stable: the largest exponent is e^0
    e = np.exp(shifted)
    return e / e.sum(axis=1, keepdims=True)


def create_app(session, *, model_name: str = "digits-mlp") -> FastAPI:
    """The FastAPI application around an onnxruntime session whose input is (N, 64) float32 grey levels / 16.

    Args:
        session: an ``onnxruntime.InferenceSession`` (see :func:`onnx_session`).
        model_name: reported by /health, so a monitor can see which model answers.
    """
    app = FastAPI(title="dlcourse digits classifier", version="1.0")
    input_name = session.get_inputs()[0].name

    @app.get("/health")
    def health() -> dict:
        return {"status": "ok", "model": model_name, "inputs": N_PIXELS}

    @app.post("/predict")
    def predict(request: PredictRequest) -> dict:
        X = np.asarray(request.pixels, dtype=np.float32) / MAX_PIXEL  # the scaling the model was trained with
        logits = session.run(None, {input_name: X})[0]
        probabilities = _softmax(logits.astype(np.float64))
        return {"labels": probabilities.argmax(axis=1).tolist(), "probabilities": probabilities.round(6).tolist()}

    return app


def main(argv: list[str] | None = None) -> None:
    """``python -m dlcourse.serving MODEL.onnx [--port 8000]``: serve on the loopback interface with uvicorn."""
    parser = argparse.ArgumentParser(description="Serve an exported digits classifier.")
    parser.add_argument("model", help="the .onnx file written by export_onnx")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args(argv)
    import uvicorn  # only needed to serve for real

    uvicorn.run(create_app(onnx_session(args.model), model_name=Path(args.model).stem), host=args.host,
                port=args.port)


if __name__ == "__main__":
    main()
