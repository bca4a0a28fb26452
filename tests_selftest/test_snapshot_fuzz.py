"""Damaged snapshots, generated: no traceback, and no finding or error ever turns into a pass or a not-applicable.

Hypothesis damages a small collected snapshot (a key removed, or a value replaced by one of another
JSON type) a few hundred times and validates each mutant. A mutant is either refused (the schema
names the first problem) or accepted; a handful of the accepted ones are then audited for real, and
every item that was a finding or an error in the undamaged run must still be one.
"""

from __future__ import annotations

import copy
import json
from typing import Any, Iterator

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from iam_compliance.simulated.moto_account import Key
from iam_compliance.snapshot import document as snapshot_file
from tests_selftest.harness import audit_snapshot, collect_snapshot

ADMIN = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
REPLACEMENTS: dict[str, Any] = {"null": None, "list": [], "object": {}, "text": "x", "number": 0, "boolean": False}
AUDITED_MUTANTS = 4  # full audits: the undamaged one and these; each takes a few seconds
NOT_EVALUATED_AS_COMPLIANT = {"passed", "skipped"}


def seed(aws) -> None:
    aws.user("alice", password=True, password_last_used_days=200, keys=[Key(age_days=200)])
    aws.user("bob", keys=[Key(age_days=10), Key(age_days=400, active=False)], inline={"admin": ADMIN},
             tags={"owner": "bob"})
    aws.group("ops", inline={"admin": ADMIN})
    aws.role("deploy", inline={"admin": ADMIN}, last_used_days=300)
    aws.generate_credential_report()


def paths(value: Any, prefix: tuple = ()) -> Iterator[tuple]:
    """Every key and list index below the document's sources."""
    children = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, child in children:
        yield (*prefix, key)
        yield from paths(child, (*prefix, key))


def mutate(doc: dict, path: tuple, how: str) -> dict | None:
    """A copy with the value at ``path`` removed (dict keys only) or replaced by a value of another type."""
    mutant = copy.deepcopy(doc)
    parent = mutant
    for key in path[:-1]:
        parent = parent[key]
    old = parent[path[-1]]
    if how == "remove":
        if not isinstance(parent, dict):
            return None  # removing a list element is a smaller account, not damage
        del parent[path[-1]]
    else:
        new = REPLACEMENTS[how]
        if type(new) is type(old) or (isinstance(old, (int, float)) and not isinstance(old, bool) and how == "number"):
            return None
        parent[path[-1]] = new
    return mutant


@pytest.fixture
def collected(aws) -> dict:
    seed(aws)
    return collect_snapshot()


def test_damaged_snapshots_never_pass_what_failed(collected, pytester, tmp_path):
    base = collected
    assert snapshot_file.validate(base) == []
    targets = sorted({path for path in paths(base) if path[0] != "schema_version"}, key=repr)
    accepted: dict[str, dict] = {}
    refused = 0

    @settings(max_examples=200, derandomize=True, deadline=None, database=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
    @given(st.sampled_from(targets), st.sampled_from(["remove", *REPLACEMENTS]))
    def explore(path: tuple, how: str) -> None:
        nonlocal refused
        mutant = mutate(base, path, how)
        if mutant is None:
            return
        # Through the file, as a run reads it: any exception but a SnapshotError fails the test.
        file = snapshot_file.save(mutant, tmp_path / "mutant.json")
        try:
            snapshot_file.load(file)
        except snapshot_file.SnapshotError as exc:
            assert str(exc).count("\n") == 0
            refused += 1
            return
        accepted.setdefault(f"{how} {'.'.join(map(str, path))}", mutant)

    explore()
    assert refused > 60 and accepted, (refused, sorted(accepted))

    baseline = audit_snapshot(pytester, tmp_path / "base", base)
    assert baseline.exit_code == pytest.ExitCode.TESTS_FAILED
    flagged = {nodeid: item.outcome for nodeid, item in baseline.results.items.items()
               if item.outcome in ("failed", "error")}
    assert len(flagged) >= 5
    # A handful of the accepted mutants, spread over all of them (the same ones every run: derandomized).
    names = sorted(accepted)
    chosen = names[::max(1, len(names) // AUDITED_MUTANTS)][:AUDITED_MUTANTS]
    for number, name in enumerate(chosen):
        result = audit_snapshot(pytester, tmp_path / f"mutant-{number}", accepted[name])
        assert result.exit_code in (pytest.ExitCode.TESTS_FAILED, pytest.ExitCode.USAGE_ERROR), name
        outcomes = {nodeid: item.outcome for nodeid, item in result.results.items.items()}
        for nodeid, before in flagged.items():
            after = outcomes.get(nodeid, "missing")
            assert after not in NOT_EVALUATED_AS_COMPLIANT and after != "missing", (
                f"mutation '{name}' turned {nodeid} from {before} into {after}")
        for item in result.results.items.values():
            assert "Traceback" not in item.message, (name, item.message)


def test_mutation_helper_damages_only_what_it_says(collected):
    doc = collected
    users = ("sources", "authorization_details", "data", "users")
    removed = mutate(doc, users, "remove")
    assert removed is not None and "users" not in removed["sources"]["authorization_details"]["data"]
    assert mutate(doc, (*users, 0), "remove") is None
    assert json.dumps(doc) == json.dumps(collected)
