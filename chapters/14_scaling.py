# %% [markdown]
# # 14 · From one process to many, and from a notebook to a service
#
# **The question.** Every network in this course so far trained in one process, on one machine, in a notebook.
# Real models outgrow that twice: training needs more arithmetic than one processor gives, and a trained model is
# useless until something outside the notebook can ask it questions. How does the *same* training run spread over
# many processes without changing its result, and how does a model leave the notebook safely?
#
# **The idea.** *Data parallelism*: every worker holds a copy of the model, takes a slice of each batch, and the
# workers average their gradients before every step, so they all take the big-batch step together. For shipping,
# the model is exported to a portable file (ONNX), served behind an HTTP API that checks every request, and watched
# for inputs that no longer look like the training data.
#
# Plan: (1) data parallelism from scratch in NumPy; (2) the ring all-reduce and what communication costs;
# (3) the same with `torch.distributed`: two processes with DistributedDataParallel, gradient accumulation, speed;
# (4) checkpoints that resume exactly; (5) mixed precision with bfloat16; (6) shipping: ONNX, an HTTP API, drift
# detection; (7) experiment tracking with TensorBoard. What this chapter uses from earlier ones: the digits and
# `dlcourse.nn` layers (chapters 01-03), backpropagation (04), SGD with momentum and learning-rate schedules (05),
# the training loop (06).

# %%
import getpass
import inspect
import shutil
import tempfile
import time
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import torch
from fastapi.testclient import TestClient
from scipy.stats import ks_2samp
from torch.utils.tensorboard import SummaryWriter

import dlcourse.nn as nn
import dlcourse.torch
from dlcourse import ddp
from dlcourse.checkpoint import load_checkpoint, save_checkpoint
from dlcourse.data import load_digits, train_val_test_split
from dlcourse.data.augment import shift_images
from dlcourse.distributed import (
    allreduce_mean,
    parameter_server_time,
    ring_allreduce,
    ring_allreduce_time,
    shard_indices,
)
from dlcourse.monitoring import drift_report, ks_statistic
from dlcourse.serving import create_app, export_onnx, onnx_session
from dlcourse.tracking import read_scalars

rng = np.random.default_rng(0)
dlcourse.torch.seed_everything(0)
device = dlcourse.torch.device()
if device.type == "cpu":
    torch.set_num_threads(1)  # small networks: one thread is fastest, and never waits for a busy second core
# checkpoints, ONNX files and logs of this session, in a fixed folder (so its path is the same on every run)
workdir = Path(tempfile.gettempdir()) / f"dlcourse14-{getpass.getuser()}"
shutil.rmtree(workdir, ignore_errors=True)  # start clean: the logs of an earlier run would mix with this one's

# %% [markdown]
# ## 1. Data parallelism from scratch
#
# Take a mini-batch of $N$ examples and a loss that is the mean of per-example losses,
# $L = \frac{1}{N}\sum_{n=1}^{N} \ell_n(\theta)$. Split the batch into $p$ shards $S_1, \dots, S_p$ of equal size
# $N/p$, one per worker. Worker $r$ computes the gradient of *its* mean loss,
# $g_r = \frac{1}{N/p}\sum_{n \in S_r} \nabla \ell_n$. Averaging over workers,
# $$\frac{1}{p}\sum_{r=1}^{p} g_r = \frac{1}{p}\sum_{r=1}^{p}\frac{p}{N}\sum_{n\in S_r}\nabla\ell_n
#   = \frac{1}{N}\sum_{n=1}^{N}\nabla \ell_n = \nabla L .$$
# The average of the shard gradients *is* the big-batch gradient: every worker that applies it takes exactly the
# step one process would have taken on the whole batch. Averaging values that live on different workers, so that
# every worker ends with the result, is called an **all-reduce**.
#
# Below, four simulated workers each hold a copy of a small `dlcourse.nn` MLP (chapter 03's digits classifier)
# and a contiguous shard of a batch of 64 digits.

# %%
X_all, y_all = load_digits()
batch_X, batch_y = X_all[:64], y_all[:64]


def make_mlp() -> nn.Sequential:
    """The same weights every time: a fresh generator with the same seed."""
    return nn.Sequential(nn.Linear(64, 32, rng=np.random.default_rng(1), dtype=np.float64), nn.ReLU(),
                         nn.Linear(32, 10, rng=np.random.default_rng(2), dtype=np.float64))


def gradients(model: nn.Sequential, X: np.ndarray, y: np.ndarray) -> list[np.ndarray]:
    """Gradients of the mean cross-entropy on (X, y), one array per parameter, in parameters() order."""
    model.zero_grad()
    loss_fn = nn.CrossEntropyLoss()
    loss_fn.forward(model(X), y)
    model.backward(loss_fn.backward())
    return [p.grad.copy() for p in model.parameters()]


world_size = 4
workers = [make_mlp() for _ in range(world_size)]  # p copies of the same model
worker_grads = [gradients(workers[r], batch_X[shard_indices(64, world_size, r)],
                          batch_y[shard_indices(64, world_size, r)]) for r in range(world_size)]
averaged = allreduce_mean(worker_grads)
big_batch = gradients(make_mlp(), batch_X, batch_y)
print("shard sizes:", [len(shard_indices(64, world_size, r)) for r in range(world_size)])
print(f"largest |averaged - big-batch| over all parameters: "
      f"{max(np.abs(a - b).max() for a, b in zip(averaged, big_batch, strict=True)):.1e}")

# %% [markdown]
# The difference is at the level of float64 rounding ($10^{-16}$ relative): the sums are the same, only added in
# another order. One SGD step with the averaged gradient on every worker therefore leaves all workers with the
# same weights as a single process that saw the whole batch.
#
# When the batch does not divide evenly, the shards differ in size and a plain average weighs the examples of a small
# shard more. With 63 examples over 4 workers (shards of 16, 16, 16 and 15) the plain average is off; weighting each
# worker by its shard size repairs it. (PyTorch's `DistributedSampler` avoids the problem differently: it pads the
# data so that every worker gets the same number of examples.)

# %%
odd_X, odd_y = X_all[:63], y_all[:63]
shards = [shard_indices(63, world_size, r) for r in range(world_size)]
odd_grads = [gradients(make_mlp(), odd_X[s], odd_y[s]) for s in shards]
odd_big = gradients(make_mlp(), odd_X, odd_y)
for label, weights in [("plain average", None), ("weighted by shard size", [len(s) for s in shards])]:
    got = allreduce_mean(odd_grads, weights)
    error = max(np.abs(a - b).max() for a, b in zip(got, odd_big, strict=True))
    print(f"{label:24s} shards {[len(s) for s in shards]}: largest error {error:.1e}")

# %% [markdown]
# ## 2. The ring all-reduce, and what communication costs
#
# How do $p$ workers average a gradient of $n$ bytes? The obvious way, a *parameter server*, sends every
# gradient to one node, which sums them and sends the result back: that node's network link carries
# $2(p-1)$ full gradients, so the time grows linearly with $p$.
#
# The **ring all-reduce** arranges the workers in a ring, each sending only to its right neighbour, and cuts the
# gradient into $p$ chunks. In the *reduce-scatter* phase ($p-1$ steps) worker $r$ sends chunk $(r - s) \bmod p$ at
# step $s$, and the receiver adds it to its own copy of that chunk; after $p-1$ steps each worker holds the full sum
# of one chunk. In the *all-gather* phase ($p-1$ more steps) the finished chunks travel once around the ring,
# overwriting. Each worker sends $2(p-1)$ messages of $n/p$ bytes. With a latency $\alpha$ per message and a
# bandwidth $\beta$ bytes per second,
# $$T_\text{ring} = 2(p-1)\left(\alpha + \frac{n}{p\,\beta}\right), \qquad
#   T_\text{server} = 2(p-1)\left(\alpha + \frac{n}{\beta}\right).$$
# As $p$ grows, the ring's bandwidth term tends to $2n/\beta$, independent of $p$. Here is the algorithm, run
# message by message on four workers whose "gradients" are small arrays:

# %%
values = [np.arange(8.0) * (r + 1) for r in range(world_size)]  # worker r holds (r + 1) * [0, 1, ..., 7]
results, log = ring_allreduce(values)
for entry in log:
    sends = ", ".join(f"{a}→{b}: chunk {c}" for a, b, c, _ in entry["sends"])
    print(f"{entry['phase']:14s} step {entry['step']}: {sends}")
print("every worker's result:", results[0], "| all equal:", all(np.array_equal(r, results[0]) for r in results))
print("expected sum:          ", sum(values))
sent_per_worker = sum(n for entry in log for a, _, _, n in entry["sends"] if a == 0)
print(f"values sent by worker 0: {sent_per_worker} = 2 (p - 1) n / p = {2 * (world_size - 1) * 8 // world_size}")

# %% [markdown]
# The cost model says when more workers pay. A step on $p$ workers takes the compute time divided by $p$ plus the
# all-reduce: $T(p) = T_\text{compute}/p + T_\text{ring}(p)$. The plot uses numbers of a typical GPU cluster:
# a 100-million-parameter model in float32 ($n$ = 400 MB), 0.5 s of compute per step on one GPU, links of
# 25 GB/s with 10 µs latency (assumed figures for the picture, not measurements).

# %%
n_bytes, compute_s, alpha, beta = 400e6, 0.5, 10e-6, 25e9
ps = np.arange(1, 65)
ring = np.array([ring_allreduce_time(n_bytes, p, alpha=alpha, beta=beta) for p in ps])
server = np.array([parameter_server_time(n_bytes, p, alpha=alpha, beta=beta) for p in ps])
fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
axes[0].plot(ps, ring * 1e3, label="ring all-reduce")
axes[0].plot(ps, server * 1e3, label="parameter server")
axes[0].set(xlabel="workers p", ylabel="all-reduce time per step (ms)", title="Communication cost model",
            yscale="log")
axes[0].legend()
axes[1].plot(ps, compute_s / (compute_s / ps + ring), label="ring")
axes[1].plot(ps, compute_s / (compute_s / ps + server), label="parameter server")
axes[1].plot(ps, ps, "k:", label="ideal (p)")
axes[1].set(xlabel="workers p", ylabel="speed-up over one worker", title="T(1) / T(p)", ylim=(0, 40))
axes[1].legend()
plt.tight_layout()
plt.show()
print(f"ring at p = 64: {ring[-1] * 1e3:.1f} ms per all-reduce, speed-up {compute_s / (compute_s / 64 + ring[-1]):.1f}")

# %% [markdown]
# Two lessons. Communication is worth it when the compute per step is large compared with $2n/\beta$ (big batches,
# big models per byte of gradient). And real systems hide part of the all-reduce behind the backward pass: DDP
# starts averaging the gradients of the last layers while earlier layers are still being differentiated
# ("bucketing"), so the measured cost is often below the model's.
#
# ## 3. The same with torch.distributed
#
# PyTorch's `torch.distributed` runs one process per worker. The processes find each other at a *rendezvous*
# address, agree on a *backend* that moves tensors between them (gloo for CPUs, NCCL for NVIDIA GPUs), and
# `torch.nn.parallel.DistributedDataParallel` (DDP) wraps the model so that `loss.backward()` also all-reduces
# (averages) every gradient. The training function lives in `dlcourse/ddp.py` so that new processes can import it;
# here it is, the loop that every worker runs:

# %%
print(inspect.getsource(ddp.train))

# %% [markdown]
# `launch` starts two processes on this machine with `torch.multiprocessing` (the *spawn* method: each child is a
# fresh Python that imports `dlcourse.ddp`, which works from a Jupyter kernel, unlike forking a kernel that already
# runs threads), and they rendezvous on the loopback interface (127.0.0.1) with the gloo backend. One launch runs
# several configurations in turn, so the start-up (importing torch twice) is paid once:
#
# 0. the run itself, in float64 so that differences are rounding-level;
# 1. the same run stopped after 30 of its 60 steps, writing a checkpoint;
# 2. the run resumed from that checkpoint (section 4);
# 3. and 4. a bigger model and batch in float32, for speed (on the same hardware as the single-process timing below).

# %%
base = ddp.RunConfig()  # 64 -> 32 -> 10 MLP, batch 64, 60 steps of SGD with momentum, float64
big = ddp.RunConfig(hidden=512, batch_size=1024, steps=20, dtype="float32")
ckpt_dir = workdir / "ddp"
configs = [base, ddp.RunConfig(stop_at=30),
           ddp.RunConfig(resume_from=str(ckpt_dir / "step30.pt")), big]
distributed = ddp.launch(configs, world_size=2, out_dir=ckpt_dir)
single = ddp.train(base)


def largest_difference(a: dict, b: dict) -> float:
    """Largest absolute difference between two state_dicts with the same keys."""
    return max(float((a[k] - b[k]).abs().max()) for k in a)


print(f"DDP rank 0 vs rank 1 after {base.steps} steps: {largest_difference(*[r.state_dict for r in distributed[0]]):.1e}")
print(f"DDP (2 processes) vs one process on the whole batch: "
      f"{largest_difference(distributed[0][0].state_dict, single.state_dict):.1e}")
print(f"final loss: one process {single.losses[-1]:.4f}, DDP rank 0 (its shard) {distributed[0][0].losses[-1]:.4f}")

# %% [markdown]
# Both ranks hold identical weights, and they match the single process to float64 rounding. (The two loss figures
# differ because rank 0's is the loss on its own half of the batch.)
#
# **Gradient accumulation** is the same identity inside one process: when a batch does not fit in memory, split it
# into $k$ micro-batches, scale each micro-batch's mean loss by its share of the batch, and call `backward` on each;
# the gradients add up in `.grad` (as chapter 04 showed) to the big-batch gradient, and one optimizer step follows.
# In DDP, `no_sync()` skips the all-reduce for all but the last micro-batch.

# %%
accumulated = ddp.train(ddp.RunConfig(accumulation=4))  # 4 micro-batches of 16 per step
print(f"4 micro-batches vs 1 batch of 64 after {base.steps} steps: "
      f"{largest_difference(accumulated.state_dict, single.state_dict):.1e}")

# %% [markdown]
# **Does it pay here?** Time per step, measured inside the training loop (start-up excluded) for the bigger model,
# one process against two; this machine's cores are shared, so the figures move from run to run:

# %%
t0 = time.perf_counter()
single_big = ddp.train(big)
wall = time.perf_counter() - t0
two = distributed[3][0].seconds_per_step
print(f"one process:   {single_big.seconds_per_step * 1e3:6.1f} ms per step (perf_counter, {wall:.1f} s for the run)")
print(f"two processes: {two * 1e3:6.1f} ms per step, speed-up {single_big.seconds_per_step / two:.2f}x")
grad_bytes = sum(v.numel() * v.element_size() for v in single_big.state_dict.values())
print(f"gradient all-reduced per step: {grad_bytes / 1e6:.2f} MB")

# %% [markdown]
# On a two-core machine, two processes can at best halve the compute, and they also pay for the all-reduce of the
# gradient through the loopback interface and for sharing the memory bandwidth; the measured speed-up is the
# result of that trade-off. On GPUs the same code changes in three places, all in `dlcourse.ddp.main`: the backend
# is `nccl`, each process computes on `cuda:LOCAL_RANK` (one process per GPU), and the processes are started by
# `torchrun`, which sets the rank and the rendezvous address in environment variables. On two machines with eight
# GPUs each, run on *both* machines:
#
# ```bash
# torchrun --nnodes=2 --nproc-per-node=8 --rdzv-backend=c10d --rdzv-endpoint=HOSTNAME_OF_NODE_0:29400 \
#          -m dlcourse.ddp --steps 200 --out runs/ddp
# ```
#
# and on one machine with its GPUs (or CPU cores): `torchrun --standalone --nproc-per-node=2 -m dlcourse.ddp`.
#
# ## 4. Checkpoints that resume exactly
#
# A long run is interrupted sooner or later (a pre-empted cloud machine, a time limit). Resuming means restoring
# *everything* the next step depends on: the weights, the optimizer's state (momentum buffers here; Adam's two
# moments and step count in chapter 05's Adam), the scheduler's position, the random generator that orders the
# data, and the step reached. `dlcourse/checkpoint.py` saves exactly these:

# %%
print(inspect.getsource(save_checkpoint))

# %% [markdown]
# The DDP launch above stopped a run at step 30 and resumed it from the checkpoint in the same processes. A
# single-process run does the same; both must equal the uninterrupted run exactly, not just closely:

# %%
half = ddp.train(ddp.RunConfig(stop_at=30), checkpoint_dir=workdir / "single")
resumed = ddp.train(ddp.RunConfig(resume_from=str(workdir / "single" / "step30.pt")))
print(f"one process, resumed at 30 vs uninterrupted: {largest_difference(resumed.state_dict, single.state_dict):.1e}")
print(f"DDP, resumed at 30 vs uninterrupted DDP:     "
      f"{largest_difference(distributed[2][0].state_dict, distributed[0][0].state_dict):.1e}")

# %% [markdown]
# Leave one piece out and the run drifts. Here the generator is not restored: the resumed run sees different
# batches from step 30 on.

# %%
model = ddp.make_model(base)
optimizer = torch.optim.SGD(model.parameters(), lr=base.lr, momentum=0.9)
scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=base.steps // 2, gamma=0.5)
load_checkpoint(workdir / "single" / "step30.pt", model=model, optimizer=optimizer, scheduler=scheduler,
                generator=torch.Generator().manual_seed(base.seed))  # restored ...
fresh = torch.Generator().manual_seed(base.seed)  # ... but training continues with a fresh generator
X_t, y_t = torch.from_numpy(X_all), torch.from_numpy(y_all)
for _ in range(30, base.steps):  # the last 30 steps
    batch = torch.randperm(len(X_t), generator=fresh)[:base.batch_size]
    optimizer.zero_grad()
    torch.nn.functional.cross_entropy(model(X_t[batch]), y_t[batch]).backward()
    optimizer.step()
    scheduler.step()
print(f"resumed without the generator's state vs uninterrupted: "
      f"{largest_difference(model.state_dict(), single.state_dict):.1e}")

# %% [markdown]
# ## 5. Mixed precision with bfloat16
#
# Chapter 02's floats had 52 bits of mantissa (float64) or 23 (float32). **bfloat16** keeps float32's 8 exponent
# bits (the same range, so no overflow where float32 has none) but only 7 mantissa bits: about 2-3 significant
# decimal digits. (float16, the other 16-bit format, spends its bits the other way: 5 exponent bits and 10 mantissa
# bits, more precise but overflowing above 65504, which is why float16 training needs loss scaling and bf16 does
# not.) Matrix units on recent GPUs (and some CPUs) multiply bf16 several times faster than float32.
# *Autocast* runs the matrix products in bf16 while the weights, their gradients and the optimizer stay in float32
# ("mixed" precision), so small updates are not rounded away.
#
# We train the same digits MLP twice for the same steps, in float32 and under bf16 autocast, on a train/validation
# split; the test part waits for section 6.

# %%
X_tr, X_val, X_te, y_tr, y_val, y_te = train_val_test_split(X_all.astype(np.float32), y_all, val_size=0.15,
                                                            test_size=0.15, stratify=y_all, rng=rng)
Xtr, ytr = torch.from_numpy(X_tr).to(device), torch.from_numpy(y_tr).to(device)
Xval, yval = torch.from_numpy(X_val).to(device), torch.from_numpy(y_val).to(device)


def train_mlp(autocast: bool, *, steps: int = 300, log_dir: Path | None = None) -> tuple[torch.nn.Module, float]:
    """Train a 64 -> 256 -> 10 MLP with Adam; returns the model and the seconds per step (perf_counter)."""
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(64, 256), torch.nn.ReLU(), torch.nn.Linear(256, 10)).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    writer = SummaryWriter(log_dir) if log_dir is not None else None
    order = torch.Generator().manual_seed(0)
    began = time.perf_counter()
    for step in range(steps):
        batch = torch.randperm(len(Xtr), generator=order)[:128].to(device)
        with torch.autocast(device_type=device.type, dtype=torch.bfloat16, enabled=autocast):
            loss = torch.nn.functional.cross_entropy(model(Xtr[batch]), ytr[batch])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if writer is not None and step % 10 == 0:
            with torch.no_grad():
                val_accuracy = (model(Xval).argmax(1) == yval).float().mean().item()
            writer.add_scalar("loss/train", loss.item(), step)
            writer.add_scalar("accuracy/validation", val_accuracy, step)
    seconds = (time.perf_counter() - began) / steps
    if writer is not None:
        writer.close()
    return model, seconds


runs = {}
for name, autocast in [("float32", False), ("bf16 autocast", True)]:
    trained, seconds = train_mlp(autocast, log_dir=workdir / "runs" / name.replace(" ", "_"))
    with torch.no_grad(), torch.autocast(device_type=device.type, dtype=torch.bfloat16, enabled=autocast):
        val_accuracy = (trained(Xval).argmax(1) == yval).float().mean().item()
    runs[name] = trained
    print(f"{name:14s} validation accuracy {val_accuracy:.3f}   {seconds * 1e3:.2f} ms per step (perf_counter)")

# %% [markdown]
# The accuracy is essentially unchanged: the rounding noise of bf16 is small next to the noise of mini-batch SGD.
# The speed is another matter, and it depends on the hardware: on a CPU without bf16 matrix instructions, autocast
# *adds* conversions and is slower; on a GPU with tensor cores (and on CPUs with AMX), bf16 products run several
# times faster and halve the memory that activations take. Measure on your own machine before deciding.
#
# ## 6. Shipping: ONNX, an HTTP API, and drift
#
# A model in a notebook needs Python, PyTorch and this repository. **ONNX** is a file format for computation graphs
# made of standard operators (MatMul, Relu, ...) that runtimes for servers, browsers and phones execute. We export
# the float32 model and run it with `onnxruntime`, which does not need torch at all. This is the final model, so
# here, and only here, the test set is used.

# %%
final_model = runs["float32"].cpu().eval()
onnx_path = export_onnx(final_model, workdir / "digits.onnx")
session = onnx_session(onnx_path)
with torch.no_grad():
    torch_logits = final_model(torch.from_numpy(X_te)).numpy()
onnx_logits = session.run(None, {"pixels": X_te})[0]
print(f"ONNX file: {onnx_path.stat().st_size / 1024:.1f} KiB")
print(f"largest |onnxruntime - torch| logit difference on the test set: {np.abs(onnx_logits - torch_logits).max():.1e}")
print(f"same predicted class for all {len(X_te)} test digits: {np.array_equal(onnx_logits.argmax(1), torch_logits.argmax(1))}")
print(f"test accuracy of the shipped model: {(onnx_logits.argmax(1) == y_te).mean():.3f}")

# %% [markdown]
# The service (`dlcourse/serving.py`) wraps the ONNX session in a FastAPI application. FastAPI validates each request
# against a declared schema (`PredictRequest`: a list of images, each 64 finite grey levels in 0..16, at most 256
# images) before the model runs, and answers a bad request with status 422 and a message that says what was wrong.
# FastAPI's `TestClient` sends real HTTP requests to the application inside this process, so no port is opened.
# The model was trained on pixels scaled to [0, 1], the API takes the raw 0..16 levels and scales them itself.

# %%
client = TestClient(create_app(session))
print("GET /health ->", client.get("/health").json())
raw_pixels = (X_te[:8] * 16).round().tolist()  # what a client sends: raw grey levels
reply = client.post("/predict", json={"pixels": raw_pixels})
print(f"POST /predict (8 digits) -> {reply.status_code}, labels {reply.json()['labels']}, true {y_te[:8].tolist()}")

# %%
bad_requests = {
    "63 pixels": {"pixels": [[0.0] * 63]},
    "pixel 17": {"pixels": [[17.0] * 64]},
    "negative pixel": {"pixels": [[-1.0] + [0.0] * 63]},
    "not a list": {"pixels": "a digit"},
    "no images": {"pixels": []},
    "wrong field": {"image": [[0.0] * 64]},
    "300 images": {"pixels": [[0.0] * 64] * 300},
}
for name, payload in bad_requests.items():
    reply = client.post("/predict", json=payload)
    print(f"{name:15s} -> {reply.status_code}: {reply.json()['detail'][0]['msg'][:70]}")
reply = client.post("/predict", content=b"{not json", headers={"content-type": "application/json"})
print(f"{'broken JSON':15s} -> {reply.status_code}: {reply.json()['detail'][0]['msg']}")

# %% [markdown]
# **Drift.** In production, labels arrive late or never, but inputs arrive at once. A monitor compares each
# feature's distribution in recent traffic with a reference sample (here the training inputs) using the two-sample
# **Kolmogorov-Smirnov** statistic, the largest gap between the two empirical cumulative distribution functions:
# $$D = \max_x \left| F_\text{ref}(x) - F_\text{new}(x) \right|, \qquad
#   F(x) = \frac{\#\{\text{values} \le x\}}{\#\{\text{values}\}}.$$
# scipy turns $D$ into a p-value (how often a gap this large appears between two samples of the same
# distribution). Testing 64 pixels at once, some would look drifted by chance, so each is tested at $\alpha/64$
# (Bonferroni's correction). Our `ks_statistic` agrees with scipy's:

# %%
print(f"KS statistic of pixel 20, train vs test: ours {ks_statistic(X_tr[:, 20], X_te[:, 20]):.6f}, "
      f"scipy {ks_2samp(X_tr[:, 20], X_te[:, 20]).statistic:.6f}")
clean = drift_report(X_tr, X_te)
images_te = X_te.reshape(-1, 8, 8)
shifted = shift_images(images_te, np.ones(len(images_te), int), np.zeros(len(images_te), int)).reshape(-1, 64)
moved = drift_report(X_tr, shifted)
print("test set (no drift):         ", clean)
print("test digits moved down 1 px: ", moved)
print(f"accuracy on the moved digits: {(session.run(None, {'pixels': shifted.astype(np.float32)})[0].argmax(1) == y_te).mean():.3f}")

# %% [markdown]
# The monitor stays quiet on fresh data from the training distribution and raises the alarm when the images are
# moved by a pixel, a change that costs the model much of its accuracy (chapter 07 showed why). It needs no labels.
#
# ## 7. Experiment tracking with TensorBoard
#
# The training runs of section 5 logged their loss and validation accuracy every 10 steps with
# `torch.utils.tensorboard.SummaryWriter`, which appends them to event files under `runs/NAME/`. TensorBoard draws
# them (`tensorboard --logdir PATH` in a terminal, then open http://localhost:6006; the path is printed below); the
# same files can be read back and plotted here:

# %%
print("open with: tensorboard --logdir", workdir / "runs")
fig, axes = plt.subplots(1, 2, figsize=(11, 3.5))
for name in runs:
    scalars = read_scalars(workdir / "runs" / name.replace(" ", "_"))
    for ax, tag in zip(axes, ["loss/train", "accuracy/validation"], strict=True):
        ax.plot(*scalars[tag], label=name)
        ax.set(xlabel="step", title=tag)
axes[0].legend()
plt.tight_layout()
plt.show()

# %% [markdown]
# ## Self-check
#
# 1. Four workers each compute the mean-loss gradient on 16 of a batch's 64 examples. Why is the average of their
#    gradients the gradient of the whole batch's mean loss? What goes wrong with shards of 16, 16, 16 and 15, and
#    how is it fixed?
# 2. In a ring all-reduce of $n$ bytes over $p$ workers, how many bytes does each worker send in total? Why does the
#    time hardly grow with $p$, while a parameter server's grows linearly?
# 3. Using the cost model, when does adding workers stop paying?
# 4. What does `DistributedDataParallel` add to a model, and when does it communicate?
# 5. Gradient accumulation with micro-batches of unequal size: what must each micro-batch's loss be multiplied by?
# 6. Name the five things a checkpoint must hold for a resumed run to equal the uninterrupted one, and what happened
#    in section 4 when one was left out.
# 7. bfloat16 and float16 both have 16 bits. What does bfloat16 keep that float16 gives up, and why does mixed
#    precision keep the weights in float32?
# 8. The API receives `{"pixels": [[17, ...]]}`. What does it answer, and why is it better to refuse than to predict?
# 9. Why can drift be detected without labels, and why test each of 64 pixels at $\alpha/64$?
#
# ## What to try
#
# - Change the number of simulated workers in section 1 (say 3 or 8) and check the big-batch identity again:

# %% tags=["what-to-try"]
for p in (3, 8):
    grads = [gradients(make_mlp(), batch_X[shard_indices(64, p, r)], batch_y[shard_indices(64, p, r)])
             for r in range(p)]
    sizes = [len(shard_indices(64, p, r)) for r in range(p)]
    error = max(np.abs(a - b).max() for a, b in zip(allreduce_mean(grads, sizes), big_batch, strict=True))
    print(f"p = {p}: shard sizes {sizes}, largest error {error:.1e}")

# %% [markdown]
# - Put your own hardware into the cost model: a 10 Gb/s Ethernet link is about 1.25e9 bytes/s with ~50 µs latency.
#   How many workers still pay for the 400 MB model?

# %% tags=["what-to-try"]
for p in (2, 4, 8, 16):
    t = ring_allreduce_time(400e6, p, alpha=50e-6, beta=1.25e9)
    print(f"p = {p:2d}: all-reduce {t:.2f} s, speed-up {0.5 / (0.5 / p + t):.2f}")

# %% [markdown]
# - Send the API a request of your own, for example a blank image or a digit from the training set:

# %% tags=["what-to-try"]
print(client.post("/predict", json={"pixels": [[0.0] * 64]}).json()["labels"])

# %% [markdown]
# - Make the drift smaller (brighten the test digits by 5 %, `np.clip(X_te * 1.05, 0, 1)`) and see whether the
#   monitor notices; then try 20 %.
# - With a GPU, run `train_mlp(True)` there and compare its time per step with `train_mlp(False)`.
# - With two or more GPUs: `torchrun --standalone --nproc-per-node=2 -m dlcourse.ddp`.
# - The exercise for this chapter asks you to write the gradient average, the shards, the ring's chunk schedule and
#   the whole ring all-reduce, its cost, and the KS statistic.
