"""One redraw of the ρ slider on "Vanishing & exploding gradients": what the page computes when ρ moves.

    python -m benchmarks.gradient_flow [--steps 200] [--repeats 7]

The three cells (tanh RNN, LSTM, GRU; hidden 64, T = 200): forward and hand-written backward, the
mechanism (running Jacobian products with their singular values for the vanilla RNN, the forget-gate
products for the LSTM), the eigenvalues, and building the plotly figures. Prints the median of each part
and the total against the goal (≤ 0.3 s on 2 cores, so the slider feels live). Then the page's whole experiment
(core.gradients.experiment) alone and beside a thread running Python (a busy server), computed in this thread and in
a worker process (core.offload), as the page does.
"""
from __future__ import annotations

import argparse
import statistics
import time
from dataclasses import replace

from benchmarks.timing import beside_busy_python
from core.gradients.experiment import flow_experiment
from core.gradients.flow import FlowConfig, eigenvalues, mechanism, run_flow
from core.offload import Workers
from core.plots.gradients import eigenvalues_figure, gradient_norms_figure, mechanism_figure
from core.runtime import configure_torch


def median_time(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    threads = configure_torch()
    rho = [0.9]  # each repeat moves ρ a little, as a drag does (the page caches by settings)

    def flows():
        rho[0] += 0.001
        base = FlowConfig(hidden=64, steps=args.steps, rho=rho[0])
        return {cell: run_flow(replace(base, cell=cell)) for cell in ("tanh", "lstm", "gru")}

    computed = flows()
    t_flows = median_time(flows, args.repeats)
    t_mech = median_time(lambda: (mechanism(computed["tanh"]), mechanism(computed["lstm"]),
                                  eigenvalues(computed["tanh"].config)), args.repeats)
    mechs = mechanism(computed["tanh"]), mechanism(computed["lstm"])
    t_figs = median_time(lambda: (gradient_norms_figure(computed), mechanism_figure(*mechs),
                                  eigenvalues_figure(eigenvalues(computed["tanh"].config), 0.9)), args.repeats)
    total = t_flows + t_mech + t_figs
    print(f"one ρ redraw, hidden 64, T = {args.steps}, {threads} torch threads, median of {args.repeats}")
    print(f"  three cells forward + backward   {t_flows * 1000:7.1f} ms")
    print(f"  mechanism + eigenvalues          {t_mech * 1000:7.1f} ms")
    print(f"  plotly figures                   {t_figs * 1000:7.1f} ms")
    print(f"  total                            {total * 1000:7.1f} ms   "
          f"goal ≤ 300 ms: {'met' if total <= 0.3 else 'MISSED'}")
    workers = Workers(1)
    workers.warm("core.gradients.experiment")
    kinds = ("tanh", "lstm", "gru")
    for label, run in (("in this thread", lambda c: flow_experiment(c, kinds)),
                       ("in a worker process", lambda c: workers.run(flow_experiment, c, kinds))):
        rho[0] += 0.01
        alone, busy = beside_busy_python(lambda: run(FlowConfig(hidden=64, steps=args.steps, rho=rho[0])))  # noqa: B023
        print(f"the page's experiment {label}: alone {alone * 1000:.0f} ms, beside a thread running Python "
              f"{busy * 1000:.0f} ms")
    workers.close()


if __name__ == "__main__":
    main()
