"""Commands that solve and check two-player problems: solve, evaluate, simulate."""

from __future__ import annotations

import json

import click

from decmdp.cli._common import Progress, check_outputs, fmt, handle_errors
from decmdp.cli._group import main


@main.command()
@click.argument("file", type=click.Path(dir_okay=True))
@click.option("--horizon", type=int, help="Override the file's horizon.")
@click.option("--method", type=click.Choice(["lifted", "enumerate"]), default="lifted", show_default=True,
              help="lifted: pointwise prescriptions, incremental pruning; enumerate: every prescription.")
@click.option("--json", "as_json", is_flag=True, help="Print exactly one JSON object on stdout.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write the policy (JSON) here.")
@click.option("--dot", type=click.Path(dir_okay=False), help="Write the policy graph (Graphviz DOT) here.")
@click.option("--max-vectors", type=click.IntRange(min=1), default=None,
              help="Stop (exit 3) when a stage needs more vectors  [default: 100000].")
@click.option("--no-bounds", is_flag=True, help="Skip the full-information and blind-player-2 bounds.")
@click.option("--force", is_flag=True, help="Overwrite existing output files.")
@click.option("-q", "--quiet", is_flag=True, help="No progress lines on stderr.")
@handle_errors
def solve(file, horizon, method, as_json, output, dot, max_vectors, no_bounds, force, quiet):
    """Solve the problem in FILE exactly; print the value and the policy.

    \b
    Examples:
      decmdp solve problem.json
      decmdp solve problem.json --horizon 4 -o policy.json --dot policy.dot
      decmdp solve problem.json --json | python -m json.tool
    """
    import decmdp
    from decmdp.fileio import write_text_atomic
    from decmdp.solver import DEFAULT_MAX_VECTORS

    check_outputs([output, dot], force)
    model = decmdp.load(file)
    solution = decmdp.solve(model, horizon=horizon, method=method, bounds=not no_bounds,
                            max_vectors=max_vectors or DEFAULT_MAX_VECTORS,
                            progress=Progress(quiet))
    if output:
        write_text_atomic(output, solution.policy.dumps(), force=force)
    if dot:
        write_text_atomic(dot, solution.policy.to_dot(), force=force)
    if as_json:
        click.echo(json.dumps(solution.summary()))
        return
    _print_solution(model, solution)
    for path, what in ((output, "policy"), (dot, "policy graph")):
        if path:
            click.echo(f"wrote {what} to {path}")


def _print_solution(model, solution, max_nodes: int = 24) -> None:
    kind = "cost" if solution.sense.value == "minimize" else "reward"
    click.echo(f"{model.name}: {solution.sense.value} expected total {kind}, horizon {solution.horizon}, "
               f"method {solution.method}, {solution.seconds:.2f} s")
    click.echo(f"  optimal value          {fmt(solution.value)}")
    if len(solution.initial_values) > 1:
        parts = ", ".join(f"x1={k}: {fmt(v)}" for k, v in solution.initial_values.items())
        click.echo(f"  given x1(0)            {parts}")
    if solution.bounds:
        b = solution.bounds
        click.echo(f"  full information       {fmt(b.full_information)}  "
                   f"(price of decentralization {fmt(b.price_of_decentralization)})")
        click.echo(f"  player 2 ignores x2    {fmt(b.blind_player2)}  "
                   f"(value of player 2's information {fmt(b.value_of_information)})")
    click.echo("  stage  vectors  generated      LPs  seconds")
    for s in sorted(solution.stats, key=lambda s: s.stage):
        click.echo(f"  {s.stage:5d}  {s.kept:7d}  {s.generated:9d}  {s.lps:7d}  {s.seconds:7.3f}")
    policy = solution.policy
    click.echo(f"policy: {len(policy)} nodes (player 1 plays u1; player 2 plays the prescription at its x2)")
    for i, node in enumerate(policy.nodes):
        if i == max_nodes:
            click.echo(f"  ... {len(policy) - max_nodes} more nodes (write them with -o or --dot)")
            break
        a = policy.graph.nodes[node]
        g = ", ".join(f"{x2}->{u2}" for x2, u2 in zip(policy.player2_states, a["prescription"]))
        nxt = ", ".join(f"{d['x1']}->{c}" for _, c, d in policy.graph.out_edges(node, data=True))
        starts = [x1 for x1, n in policy.start.items() if n == node]
        tag = f" [start x1={','.join(starts)}]" if starts else ""
        click.echo(f"  {node:>4} t={a['stage']} x1={a['x1']}: u1={a['u1']}; player 2: {g}"
                   + (f"; next {nxt}" if nxt else "") + tag)


@main.command()
@click.argument("file", type=click.Path(dir_okay=True))
@click.argument("policy", type=click.Path(dir_okay=True))
@click.option("--json", "as_json", is_flag=True, help="Print exactly one JSON object.")
@handle_errors
def evaluate(file, policy, as_json):
    """Evaluate POLICY on FILE exactly (forward propagation, no DP).

    \b
    Example:
      decmdp solve problem.json -o policy.json
      decmdp evaluate problem.json policy.json
    """
    import decmdp

    model = decmdp.load(file)
    graph = decmdp.load_policy(policy)
    value = decmdp.evaluate(model, graph)
    if as_json:
        click.echo(json.dumps({"value": value, "sense": model.sense.value, "horizon": graph.horizon,
                               "policy_nodes": len(graph)}))
    else:
        click.echo(f"{model.name}: policy value {fmt(value)} ({model.sense.value}, horizon {graph.horizon}, "
                   f"{len(graph)} nodes)")


@main.command()
@click.argument("file", type=click.Path(dir_okay=True))
@click.argument("policy", type=click.Path(dir_okay=True))
@click.option("--episodes", type=click.IntRange(min=2), default=10_000, show_default=True,
              help="Number of simulated episodes.")
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True,
              help="Seed of the random generator; the same seed gives the same result.")
@click.option("--json", "as_json", is_flag=True, help="Print exactly one JSON object.")
@handle_errors
def simulate(file, policy, episodes, seed, as_json):
    """Monte Carlo estimate of POLICY's value on FILE, with a 95% interval.

    \b
    Example:
      decmdp simulate problem.json policy.json --episodes 100000 --seed 1
    """
    import dataclasses

    import decmdp

    model = decmdp.load(file)
    result = decmdp.simulate(model, decmdp.load_policy(policy), episodes=episodes, seed=seed)
    if as_json:
        click.echo(json.dumps(dataclasses.asdict(result) | {"sense": model.sense.value}))
    else:
        click.echo(f"{model.name}: mean {fmt(result.mean)} +- {fmt(result.stderr)} (standard error); "
                   f"95% interval [{fmt(result.ci_low)}, {fmt(result.ci_high)}] over {episodes} episodes, "
                   f"seed {seed}")
