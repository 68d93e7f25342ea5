"""The HTML report: one self-contained file whose numbers are the solver's."""

from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner

import decmdp
from decmdp.cli import main

ROOT = Path(__file__).resolve().parents[1]
SECTIONS = ["problem", "value", "stages", "value-functions", "policy", "simulation"]


class Report(HTMLParser):
    """Collects sections, figures, svgs, external references and the data-quantity cells."""

    def __init__(self, text):
        super().__init__()
        self.sections, self.figures, self.svgs, self.external, self.tags = [], 0, 0, [], []
        self.quantities, self._quantity, self.rows_in_policy_table, self._section = {}, None, 0, None
        self._tables_in_section = 0
        self.feed(text)
        self.close()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append(tag)
        if tag == "section":
            self.sections.append(attrs.get("id"))
            self._section, self._tables_in_section = attrs.get("id"), 0
        if tag == "figure":
            self.figures += 1
        if tag == "svg":
            self.svgs += 1
        if tag == "table":
            self._tables_in_section += 1
        if tag == "tr" and self._section == "policy":
            self.rows_in_policy_table += 1
        for name, value in attrs.items():
            if name in ("src", "href", "xlink:href") and value and not value.startswith("#"):
                self.external.append((tag, name, value))
        if tag in ("script", "link", "img", "iframe", "object", "embed"):
            self.external.append((tag, "", ""))
        if "data-quantity" in attrs:
            self._quantity = attrs["data-quantity"]

    def handle_data(self, data):
        if self._quantity is not None:
            self.quantities[self._quantity] = float(data)
            self._quantity = None


@pytest.fixture(scope="module")
def tiny_report(tmp_path_factory):
    out = tmp_path_factory.mktemp("report") / "report.html"
    result = CliRunner().invoke(main, ["report", str(ROOT / "problems" / "tiny-by-hand.json"), "-o", str(out),
                                       "--episodes", "3000", "--seed", "7", "-q"])
    assert result.exit_code == 0, result.output
    return Report(out.read_text())


def test_structure_and_figures(tiny_report):
    assert tiny_report.sections == SECTIONS
    # bounds chart + one value function per initial x1 (good, poor) + policy graph + return histogram
    assert tiny_report.figures == tiny_report.svgs == 5
    assert tiny_report.tags[0] == "html" and "title" in tiny_report.tags


def test_nothing_is_fetched_from_elsewhere(tiny_report):
    assert tiny_report.external == []


def test_numbers_shown_are_the_solvers(tiny_report):
    model = decmdp.load(ROOT / "problems" / "tiny-by-hand.json")
    solution = decmdp.solve(model)
    shown = tiny_report.quantities
    assert shown["value"] == pytest.approx(solution.value, rel=1e-9) == 2.1
    assert shown["exact"] == pytest.approx(solution.value, rel=1e-9)
    for x1, v in solution.initial_values.items():
        assert shown[f"initial:{x1}"] == pytest.approx(v, rel=1e-9)
    for field in ("full_information", "blind_player2", "price_of_decentralization", "value_of_information"):
        assert shown[field] == pytest.approx(getattr(solution.bounds, field), rel=1e-9, abs=1e-12)
    # the hand solution in the file's description: 1.75 <= 2.1 <= 2.5
    assert (shown["full_information"], shown["blind_player2"]) == (1.75, 2.5)
    simulated = decmdp.simulate(model, solution.policy, episodes=3000, seed=7)
    assert shown["sim_mean"] == pytest.approx(simulated.mean, rel=1e-9)
    assert shown["sim_stderr"] == pytest.approx(simulated.stderr, rel=1e-9)
    assert shown["sim_ci_low"] == pytest.approx(simulated.ci_low, rel=1e-9)


def test_policy_table_has_one_row_per_node(tiny_report):
    policy_nodes = len(decmdp.solve(decmdp.load(ROOT / "problems" / "tiny-by-hand.json"), bounds=False).policy)
    assert tiny_report.rows_in_policy_table == policy_nodes + 1  # and a header row


def test_reward_problem_names_the_bound_sides(tmp_path):
    out = tmp_path / "coordination.html"
    result = CliRunner().invoke(main, ["report", str(ROOT / "problems" / "coordination.json"), "-o", str(out),
                                       "--episodes", "500", "-q"])
    assert result.exit_code == 0, result.output
    text = out.read_text()
    assert "full information (both see x1, x2): upper bound" in text
    assert "player 2 ignores x2: lower bound" in text
    shown = Report(text).quantities
    assert shown["blind_player2"] <= shown["value"] <= shown["full_information"]

