"""The exported model agrees with torch, and the API answers good and bad requests as documented."""

import numpy as np
import pytest
import torch
from fastapi.testclient import TestClient

from dlcourse.serving import create_app, export_onnx, onnx_session


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(64, 16), torch.nn.ReLU(), torch.nn.Linear(16, 10)).eval()
    path = export_onnx(model, tmp_path_factory.mktemp("onnx") / "m.onnx")
    return model, onnx_session(path)


def test_onnx_agrees_with_torch_for_any_batch_size(exported):
    model, session = exported
    for n in (1, 7, 300):
        X = np.random.default_rng(n).uniform(0, 1, (n, 64)).astype(np.float32)
        with torch.no_grad():
            expected = model(torch.from_numpy(X)).numpy()
        np.testing.assert_allclose(session.run(None, {"pixels": X})[0], expected, rtol=1e-5, atol=1e-6)


def test_api_predicts_what_the_model_predicts(exported):
    model, session = exported
    client = TestClient(create_app(session, model_name="m"))
    assert client.get("/health").json() == {"status": "ok", "model": "m", "inputs": 64}
    pixels = np.random.default_rng(0).integers(0, 17, (4, 64)).astype(float)
    reply = client.post("/predict", json={"pixels": pixels.tolist()})
    assert reply.status_code == 200
    with torch.no_grad():
        logits = model(torch.from_numpy(pixels / 16).float()).numpy()
    assert reply.json()["labels"] == logits.argmax(1).tolist()
    np.testing.assert_allclose(np.sum(reply.json()["probabilities"], axis=1), 1.0, atol=1e-5)


@pytest.mark.parametrize("payload, message", [
    ({"pixels": [[0.0] * 63]}, "expected 64 pixel values, got 63"),
    ({"pixels": [[17.0] * 64]}, "expected finite values in [0, 16], got 17.0"),
    ({"pixels": [[-0.5] + [0.0] * 63]}, "got -0.5"),
    ({"pixels": "a digit"}, "valid list"),
    ({"pixels": []}, "at least 1 item"),
    ({"image": [[0.0] * 64]}, "Field required"),
    ({"pixels": [[0.0] * 64] * 257}, "at most 256 items"),
    ({"pixels": [["x"] * 64]}, "valid number"),
])
def test_bad_requests_get_a_422_that_says_why(exported, payload, message):
    client = TestClient(create_app(exported[1]))
    reply = client.post("/predict", json=payload)
    assert reply.status_code == 422
    assert message in reply.json()["detail"][0]["msg"]


def test_broken_json_and_wrong_method(exported):
    client = TestClient(create_app(exported[1]))
    reply = client.post("/predict", content=b"{nope", headers={"content-type": "application/json"})
    assert reply.status_code == 422
    assert client.get("/predict").status_code == 405
