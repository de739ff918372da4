"""One training run, three ways: one process, several processes with DistributedDataParallel, and resumed.

The same function, :func:`train`, runs in every case. Each optimizer step draws a global batch of ``batch_size``
digits from a shuffled order (a seeded ``torch.Generator``); a worker of rank r out of p takes its contiguous shard of
that batch (:func:`dlcourse.distributed.shard_indices`), and DDP averages the workers' gradients during backward,
so with equal shards every worker applies the big-batch gradient. With ``accumulation = k`` the shard is further cut
into k micro-batches whose losses are scaled by 1/k and whose gradients add up before the step.

Run it three ways:

- in this process: ``train(RunConfig())``;
- from a notebook or script on one machine: ``launch(RunConfig(), world_size=2, out_dir=...)`` starts p processes
  with ``torch.multiprocessing`` (spawn: each child imports this module afresh, which works from a Jupyter kernel)
  that talk over the loopback interface with the gloo backend;
- on a cluster: ``torchrun --nnodes=2 --nproc-per-node=8 --rdzv-backend=c10d --rdzv-endpoint=HOST:29400
  -m dlcourse.ddp --steps 200 --out runs/ddp`` on every node. torchrun sets RANK, WORLD_SIZE, LOCAL_RANK,
  MASTER_ADDR and MASTER_PORT; :func:`main` reads them, picks NCCL and ``cuda:LOCAL_RANK`` when there are GPUs
  (one process per GPU) and gloo on the CPU otherwise.
"""

from __future__ import annotations

import argparse
import os
import socket
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist

from dlcourse.checkpoint import load_checkpoint, save_checkpoint
from dlcourse.distributed import shard_indices

__all__ = ["RunConfig", "RunResult", "free_port", "launch", "main", "make_model", "train"]


@dataclass(frozen=True)
class RunConfig:
    """What defines a run; every process builds the same model, data order and optimizer from it.

    Attributes:
        hidden: hidden units of the 64 -> hidden -> 10 MLP on the digits.
        batch_size: global batch per optimizer step (split over the workers).
        steps: optimizer steps in the whole run.
        lr: SGD learning rate (momentum 0.9, StepLR halving every ``steps // 2`` steps).
        accumulation: micro-batches per worker per step (gradient accumulation).
        seed: seeds the weights and the data order.
        dtype: "float64" (exact comparisons) or "float32".
        stop_at: stop after this step and write a checkpoint (None: run to ``steps``).
        resume_from: a checkpoint file to continue from (None: start afresh).
    """

    hidden: int = 32
    batch_size: int = 64
    steps: int = 60
    lr: float = 0.05
    accumulation: int = 1
    seed: int = 0
    dtype: str = "float64"
    stop_at: int | None = None
    resume_from: str | None = None


@dataclass
class RunResult:
    """What a run hands back: its final weights, the loss at every step, and the time per step it measured."""

    state_dict: dict
    losses: list[float]
    seconds_per_step: float
    world_size: int
    step: int


def _digits(dtype: torch.dtype, data_file: str | Path | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """All 1,797 digits (X (N, 64) in [0, 1], y (N,)), from scikit-learn's copy on disk or from ``data_file``, an
    .npz that :func:`launch` writes once so that the workers need not import scikit-learn."""
    if data_file is None:
        from dlcourse.data import load_digits

        X, y = load_digits()
    else:
        with np.load(data_file) as saved:
            X, y = saved["X"], saved["y"]
    return torch.from_numpy(X).to(dtype), torch.from_numpy(y)


def make_model(config: RunConfig) -> torch.nn.Module:
    """The 64 -> hidden -> 10 MLP, with weights drawn from ``config.seed`` (the same in every process)."""
    torch.manual_seed(config.seed)
    model = torch.nn.Sequential(torch.nn.Linear(64, config.hidden), torch.nn.ReLU(),
                                torch.nn.Linear(config.hidden, 10))
    return model.to(getattr(torch, config.dtype))


def _batch_indices(generator: torch.Generator, n_samples: int, batch_size: int) -> torch.Tensor:
    """One global batch: the same draw in every process because every process holds the same generator state."""
    return torch.randperm(n_samples, generator=generator)[:batch_size]


def train(config: RunConfig, *, rank: int = 0, world_size: int = 1, device: torch.device | None = None,
          checkpoint_dir: str | Path | None = None, data_file: str | Path | None = None) -> RunResult:
    """Run ``config`` as worker ``rank`` of ``world_size`` (1: a plain single-process run).

    In a distributed run the process group must already be initialised; the model is wrapped in DDP here.

    Args:
        config: the run.
        rank: this worker.
        world_size: number of workers.
        device: where to compute (default CPU).
        checkpoint_dir: where ``config.stop_at`` writes ``step<k>.pt`` (rank 0 only).
        data_file: the digits as an .npz (see ``_digits``); None loads them from scikit-learn.
    Returns:
        The run's result; ``losses`` are this worker's shard losses (rank 0's are reported).
    """
    device = device or torch.device("cpu")
    dtype = getattr(torch, config.dtype)
    X, y = _digits(dtype, data_file)
    X, y = X.to(device), y.to(device)
    model = make_model(config).to(device)
    optimizer = torch.optim.SGD(model.parameters(), lr=config.lr, momentum=0.9)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=max(1, config.steps // 2), gamma=0.5)
    generator = torch.Generator().manual_seed(config.seed)
    start = 0
    if config.resume_from is not None:
        start = load_checkpoint(config.resume_from, model=model, optimizer=optimizer, scheduler=scheduler,
                                generator=generator)
    net = model if world_size == 1 else torch.nn.parallel.DistributedDataParallel(model)
    loss_fn = torch.nn.CrossEntropyLoss()
    shard = torch.from_numpy(shard_indices(config.batch_size, world_size, rank))
    losses, stop = [], config.steps if config.stop_at is None else config.stop_at
    began = time.perf_counter()
    for _ in range(start, stop):
        batch = _batch_indices(generator, len(X), config.batch_size)[shard]
        optimizer.zero_grad()
        micro_batches, shard_loss = torch.tensor_split(batch, config.accumulation), 0.0
        for i, micro in enumerate(micro_batches):
            # scale each micro-batch's mean loss by its share, so the accumulated gradient is the shard's mean
            loss = loss_fn(net(X[micro]), y[micro]) * (len(micro) / len(batch))
            if world_size > 1 and i < len(micro_batches) - 1:
                with net.no_sync():  # all-reduce once, after the last micro-batch, not after every one
                    loss.backward()
            else:
                loss.backward()
            shard_loss += loss.item()
        optimizer.step()
        scheduler.step()
        losses.append(shard_loss)
    seconds = (time.perf_counter() - began) / max(1, stop - start)
    if config.stop_at is not None and checkpoint_dir is not None and rank == 0:
        save_checkpoint(Path(checkpoint_dir) / f"step{stop}.pt", model=model, optimizer=optimizer,
                        scheduler=scheduler, generator=generator, step=stop)
    state = {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}
    return RunResult(state, losses, seconds, world_size, stop)


def free_port() -> int:
    """A TCP port on the loopback interface that nothing listens on now (the workers rendezvous there)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _worker(rank: int, world_size: int, config_dicts: list[dict], out_dir: str, port: int, data_file: str) -> None:
    """Entry point of each spawned process: join the group on the loopback, run each config in turn, save results.

    Several runs share one group so that a notebook pays the processes' start-up (importing torch) once.
    """
    torch.set_num_threads(1)  # p processes share the cores: one thread each avoids oversubscription
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=world_size)
    try:
        for i, config_dict in enumerate(config_dicts):
            result = train(RunConfig(**config_dict), rank=rank, world_size=world_size, checkpoint_dir=out_dir,
                           data_file=data_file)
            torch.save(asdict(result), Path(out_dir) / f"run{i}_rank{rank}.pt")
            dist.barrier()  # a checkpoint rank 0 just wrote is complete before any rank resumes from it
    finally:
        dist.destroy_process_group()


def launch(configs: RunConfig | list[RunConfig], *, world_size: int, out_dir: str | Path) -> list[list[RunResult]]:
    """Start ``world_size`` processes on this machine that run each config in turn with DDP over gloo; collect.

    Args:
        configs: one run, or several run one after the other by the same processes (a later one may resume from
            a checkpoint an earlier one wrote into ``out_dir``).
        world_size: number of processes (one per core is sensible on a CPU).
        out_dir: folder for each rank's result files and any checkpoint.
    Returns:
        ``results[i][rank]``: the RunResult of config i on each rank.
    """
    configs = [configs] if isinstance(configs, RunConfig) else list(configs)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    from dlcourse.data import load_digits

    X, y = load_digits()
    np.savez(out_dir / "digits.npz", X=X, y=y)
    args = (world_size, [asdict(c) for c in configs], str(out_dir), free_port(), str(out_dir / "digits.npz"))
    torch.multiprocessing.start_processes(_worker, args=args, nprocs=world_size, join=True, start_method="spawn")
    # our own files, written just now by the workers: safe to unpickle
    return [[RunResult(**torch.load(out_dir / f"run{i}_rank{rank}.pt", weights_only=False))
             for rank in range(world_size)] for i in range(len(configs))]


def main(argv: list[str] | None = None) -> None:
    """``torchrun ... -m dlcourse.ddp [--steps N] [--out DIR]``: the same run on any number of nodes and GPUs."""
    parser = argparse.ArgumentParser(description="Train the digits MLP with DistributedDataParallel.")
    parser.add_argument("--steps", type=int, default=RunConfig.steps)
    parser.add_argument("--batch-size", type=int, default=RunConfig.batch_size)
    parser.add_argument("--out", default="runs/ddp")
    args = parser.parse_args(argv)
    cuda = torch.cuda.is_available()
    local_rank = int(os.environ.get("LOCAL_RANK", 0))
    device = torch.device(f"cuda:{local_rank}") if cuda else torch.device("cpu")
    if cuda:
        torch.cuda.set_device(device)
    dist.init_process_group("nccl" if cuda else "gloo")  # env:// from torchrun's variables
    config = RunConfig(steps=args.steps, batch_size=args.batch_size, dtype="float32" if cuda else "float64")
    result = train(config, rank=dist.get_rank(), world_size=dist.get_world_size(), device=device)
    if dist.get_rank() == 0:
        Path(args.out).mkdir(parents=True, exist_ok=True)
        torch.save(asdict(result), Path(args.out) / "result.pt")
        print(f"rank 0: final loss {np.mean(result.losses[-5:]):.4f}, {result.seconds_per_step * 1e3:.1f} ms/step")
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
