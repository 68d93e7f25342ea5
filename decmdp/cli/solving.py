"""Commands that solve and check two-player problems: solve, evaluate, simulate."""

from __future__ import annotations

import click

from decmdp.cli._common import (
    Progress,
    check_horizon_options,
    check_outputs,
    echo_stage_table,
    epsilon_option,
    fmt,
    handle_errors,
    horizon_option,
    infinite_option,
    jobs_option,
    json_text,
    lp_option,
    max_vectors_option,
    prepare_kernels,
    quiet_option,
    scheduler_option,
)
from decmdp.cli._group import main


@main.command()
@click.argument("file", type=click.Path(dir_okay=True))
@horizon_option
@infinite_option
@epsilon_option
@click.option("--method", type=click.Choice(["lifted", "enumerate"]), default="lifted", show_default=True,
              help="lifted: pointwise prescriptions, incremental pruning; enumerate: every prescription.")
@click.option("--json", "as_json", is_flag=True, help="Print exactly one JSON object on stdout.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write the policy (JSON) here.")
@click.option("--dot", type=click.Path(dir_okay=False), help="Write the policy graph (Graphviz DOT) here.")
@max_vectors_option
@click.option("--no-bounds", is_flag=True, help="Skip the full-information and blind-player-2 bounds.")
@lp_option
@jobs_option
@scheduler_option
@click.option("--force", is_flag=True, help="Overwrite existing output files.")
@quiet_option
@handle_errors
def solve(file, horizon, infinite, epsilon, method, as_json, output, dot, max_vectors, no_bounds, lp, jobs,
          scheduler, force, quiet):
    """Solve the problem in FILE exactly; print the value and the policy.

    \b
    Examples:
      decmdp solve problem.json
      decmdp solve problem.json --horizon 4 -o policy.json --dot policy.dot
      decmdp solve problem.json --json | python -m json.tool
      decmdp solve problem.json --infinite --epsilon 1e-6 -o controller.json
      decmdp solve problem.json --scheduler tcp://10.0.0.5:8786
    """
    import decmdp
    from decmdp.common import write_text_atomic
    from decmdp.errors import ProblemError
    from decmdp.solver import DEFAULT_EPSILON, DEFAULT_MAX_VECTORS

    if infinite and horizon is not None:
        raise ProblemError("--horizon and --infinite: give one of them, not both")
    check_horizon_options(infinite, epsilon)
    check_outputs([output, dot], force)
    model = decmdp.load(file)
    prepare_kernels(quiet)
    solution = decmdp.solve(model, horizon="infinite" if infinite else horizon, method=method,
                            epsilon=DEFAULT_EPSILON if epsilon is None else epsilon, bounds=not no_bounds,
                            max_vectors=max_vectors or DEFAULT_MAX_VECTORS,
                            progress=Progress(quiet, "infinite horizon, " if infinite else ""), lp=lp,
                            jobs=jobs, scheduler=scheduler)
    if output:
        write_text_atomic(output, solution.policy.dumps(), force=force)
    if dot:
        write_text_atomic(dot, solution.policy.to_dot(), force=force)
    if as_json:
        click.echo(json_text(solution.summary()))
        return
    _print_solution(model, solution)
    for path, what in ((output, "policy"), (dot, "policy graph")):
        if path:
            click.echo(f"wrote {what} to {path}")


def _print_solution(model, solution, max_nodes: int = 24) -> None:
    kind = solution.sense.objective
    click.echo(f"{model.name}: {solution.sense.value} expected total {kind}, horizon {solution.horizon}, "
               f"method {solution.method}, {solution.seconds:.2f} s")
    cert = solution.certificate
    if cert:
        _print_certificate(model, cert)
    else:
        click.echo(f"  optimal value          {fmt(solution.value)}")
        click.echo(f"  error bound            {solution.error_bound:.3g}  (proven |value - exact optimum|)")
    if len(solution.initial_values) > 1:
        parts = ", ".join(f"x1={k}: {fmt(v)}" for k, v in solution.initial_values.items())
        click.echo(f"  given x1(0)            {parts}")
    if solution.bounds:
        b = solution.bounds
        click.echo(f"  full information       {fmt(b.full_information)}  "
                   f"(price of decentralization {fmt(b.price_of_decentralization)})")
        if b.blind_player2 is None:
            click.echo(f"  player 2 ignores x2    unavailable: {b.unavailable}")
        else:
            click.echo(f"  player 2 ignores x2    {fmt(b.blind_player2)}  "
                       f"(value of player 2's information {fmt(b.value_of_information)})")
    if solution.repeating_from is not None:
        click.echo(f"  stages 0..{solution.repeating_from} are identical (a fixed point of the backup): "
                   f"computed and stored once")
    stats = sorted(solution.stats, key=lambda s: s.stage)
    if cert and len(stats) > 5:
        click.echo(f"  last 5 of {len(stats)} iterations:")
        stats = stats[-5:]
    echo_stage_table(stats, "  iter" if cert else "stage")
    policy = solution.policy
    kind_of = "controller" if policy.is_cyclic else "policy"
    click.echo(f"{kind_of}: {len(policy)} nodes (player 1 plays u1; player 2 plays the prescription at its x2)")
    for i, node in enumerate(policy.nodes):
        if i == max_nodes:
            click.echo(f"  ... {len(policy) - max_nodes} more nodes (write them with -o or --dot)")
            break
        a = policy.graph.nodes[node]
        g, nxt = policy.prescription_text(node), policy.successor_text(node)
        starts = [x1 for x1, n in policy.start.items() if n == node]
        tag = f" [start x1={','.join(starts)}]" if starts else ""
        stage = "" if policy.is_cyclic else f" t={a['stage']}"
        click.echo(f"  {node:>4}{stage} x1={a['x1']}: u1={a['u1']}; player 2: {g}"
                   + (f"; next {nxt}" if nxt else "") + tag)


def _print_certificate(model, cert) -> None:
    bound = "lower" if model.sense.value == "minimize" else "upper"
    click.echo(f"  value (vector set)     {fmt(cert.dp_value)}  (within {cert.error_bound:.3g} of the optimum"
               f"{'' if cert.converged else '; NOT converged to --epsilon: iteration limit or float64 precision reached'})")
    click.echo(f"  {bound} bound on optimum  {fmt(cert.optimum_bound)}")
    click.echo(f"  controller value       {fmt(cert.controller_value)}  (exact; certified gap {cert.gap:.3g})")
    click.echo(f"  iterations             {cert.iterations}  (Bellman residual {cert.residual:.3g}, "
               f"epsilon {cert.epsilon:g})")


_HORIZON_HELP = "Evaluate at this horizon instead of the file's (it must be the policy's)."


@main.command()
@click.argument("file", type=click.Path(dir_okay=True))
@click.argument("policy", type=click.Path(dir_okay=True))
@click.option("--horizon", type=int, help=_HORIZON_HELP)
@click.option("--json", "as_json", is_flag=True, help="Print exactly one JSON object.")
@handle_errors
def evaluate(file, policy, horizon, as_json):
    """Evaluate POLICY on the problem in FILE exactly (forward propagation, no DP).

    The policy's horizon must be the problem's; give --horizon to evaluate a
    policy solved with another one.

    \b
    Example:
      decmdp solve problem.json --horizon 4 -o policy.json
      decmdp evaluate problem.json policy.json --horizon 4
    """
    import decmdp

    model, graph = load_problem_and_policy(file, policy, horizon)
    value = decmdp.evaluate(model, graph)
    if as_json:
        click.echo(json_text({"value": value, "sense": model.sense.value, "horizon": graph.horizon,
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
@click.option("--horizon", type=int, help=_HORIZON_HELP)
@click.option("--json", "as_json", is_flag=True, help="Print exactly one JSON object.")
@handle_errors
def simulate(file, policy, episodes, seed, horizon, as_json):
    """Monte Carlo estimate of POLICY's value on FILE, with a 95% interval.

    \b
    Example:
      decmdp simulate problem.json policy.json --episodes 100000 --seed 1
    """
    import dataclasses

    import decmdp

    model, graph = load_problem_and_policy(file, policy, horizon)
    result = decmdp.simulate(model, graph, episodes=episodes, seed=seed)
    if as_json:
        click.echo(json_text(dataclasses.asdict(result) | {"sense": model.sense.value}))
    else:
        click.echo(f"{model.name}: mean {fmt(result.mean)} +- {fmt(result.stderr)} (standard error); "
                   f"95% interval [{fmt(result.ci_low)}, {fmt(result.ci_high)}] over {episodes} episodes, "
                   f"seed {seed}")
        if result.bias_bound:
            click.echo(f"  (infinite horizon: episodes cut after {result.steps} stages; truncation bias "
                       f"at most {result.bias_bound:.3g})")


def load_problem_and_policy(file, policy, horizon):
    """The problem (at ``horizon`` if given) and the policy; errors name the file at fault."""
    import decmdp

    swapped = "the arguments look swapped: give the problem file first, then the policy file"
    try:
        model = decmdp.load(file)
        if horizon is not None:
            model = model.with_horizon(horizon)
    except decmdp.ProblemError as exc:
        hint = [swapped] if any("this is a policy file" in m for m in exc.errors) else []
        raise decmdp.ProblemError(_prefixed(file, exc.errors) + hint, exc.omitted) from None
    try:
        graph = decmdp.load_policy(policy)
        graph.check(model)
    except decmdp.PolicyError as exc:
        hint = [swapped] if any("this is a problem file" in m for m in exc.errors) else []
        raise decmdp.PolicyError(_prefixed(policy, exc.errors) + hint) from None
    return model, graph


def _prefixed(path, messages):
    return [m if m.startswith(f"{path}:") else f"{path}: {m}" for m in messages]
