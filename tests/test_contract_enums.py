"""The contract's enumerations are the one source of dbt's accepted values.

ingest/contract.py holds them (DBT_ENUM_VARS); dbt_project.yml declares each as a var that
the models' accepted_values tests read. What ingest accepts, the dbt tests accept, so an
accepted line can never keep a date from publishing; what the marts cannot handle (a second
currency) is quarantined with a reason code instead.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
import yaml

from ingest.contract import CURRENCIES, DBT_ENUM_VARS, PLATFORMS, Limits, Rejection, validate
from ingest.run import IngestOptions
from tests.helpers import fetch
from tests.pipeline_runs import run_graph
from tests.test_ingest import line, quarantine, write

ROOT = Path(__file__).resolve().parents[1]
DAY = date(2026, 11, 3)
TS = f"{DAY}T10:00:00Z"
_VAR = re.compile(r"var\(\s*'([a-z_]+)'\s*\)")


def accepted_values_tests() -> Iterator[tuple[str, str, object]]:
    """(yml file, model.column, values) of every accepted_values test under models/."""
    for path in sorted((ROOT / "models").rglob("*.yml")):
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for model in doc.get("models", []):
            for column in model.get("columns", []):
                for test in column.get("data_tests", []) or []:
                    if isinstance(test, dict) and "accepted_values" in test:
                        spec = test["accepted_values"]
                        values = spec.get("arguments", spec).get("values")
                        yield (str(path.relative_to(ROOT)), f"{model['name']}.{column['name']}",
                               values)


def test_dbt_vars_equal_the_contract_enums():
    declared = yaml.safe_load((ROOT / "dbt_project.yml").read_text(encoding="utf-8"))["vars"]
    for name, values in DBT_ENUM_VARS.items():
        assert declared.get(name) == list(values), (
            f"dbt_project.yml var {name} must equal ingest/contract.py: {list(values)}")


def test_no_model_lists_contract_values_itself():
    """A literal list holding a contract value would drift from the contract; the var is used."""
    contract_values = {v for values in DBT_ENUM_VARS.values() for v in values}
    used = set()
    tests = list(accepted_values_tests())
    assert len(tests) >= 8, tests
    for where, column, values in tests:
        if isinstance(values, str):
            used |= set(_VAR.findall(values))
            assert set(_VAR.findall(values)) <= set(DBT_ENUM_VARS), (where, column, values)
        else:
            overlap = contract_values & {str(v) for v in values}
            assert not overlap, (f"{where}: accepted_values of {column} lists contract values "
                                 f"{sorted(overlap)}; read them from var('contract_...') instead")
    assert used == set(DBT_ENUM_VARS), f"contract vars no test reads: {set(DBT_ENUM_VARS) - used}"


def test_no_model_sql_lists_a_contract_enum_itself():
    """A model filtering on a whole contract enum reads the var too (e.g. the subscription
    events), so a new member of the enum reaches every model that means all of them."""
    for path in sorted((ROOT / "models").rglob("*.sql")):
        sql = re.sub(r"\s+", "", path.read_text(encoding="utf-8"))
        for name, values in DBT_ENUM_VARS.items():
            if len(values) > 1:
                listed = ",".join(f"'{v}'" for v in values)
                assert listed not in sql, f"{path.relative_to(ROOT)} lists {name}; use var('{name}')"


def _subscription(currency) -> dict:
    return {"event_id": "s1", "event": "subscription_started", "ts": TS, "user_id": "u1",
            "workspace_id": "w1", "properties": {"mrr_cents": 100, "currency": currency}}


@pytest.mark.parametrize("currency, reason", [
    *((c, None) for c in CURRENCIES), (None, None),
    ("EUR", "unsupported_currency"), ("usd", "unsupported_currency"), ("", "unsupported_currency"),
    (840, "invalid_property_type"), (["USD"], "invalid_property_type"),
])
def test_subscription_currency(currency, reason):
    result = validate(_subscription(currency), DAY, Limits())
    assert (result.reason if isinstance(result, Rejection) else None) == reason, result
    if reason == "unsupported_currency":
        assert repr(currency) in result.detail


def test_currency_of_other_events_is_not_read():
    obj = {**_subscription("EUR"), "event": "page_view"}
    assert not isinstance(validate(obj, DAY, Limits()), Rejection)


def test_every_accepted_enum_value_publishes_and_other_currencies_are_quarantined(
        tmp_path, any_target):
    """Ingest → load → dbt build and test: one line for each accepted platform and currency
    goes through every model's tests, the date publishes, and the lines with a currency the
    marts cannot add up are in quarantine with their reason, not in the warehouse."""
    raw, lake = tmp_path / "raw", tmp_path / "lake"
    lines = [line(f"p_{p}", ts=TS, platform=p) for p in PLATFORMS]
    lines += [line(f"c_{c}", ts=TS, event="subscription_started", workspace_id=f"w_{c}",
                   platform=PLATFORMS[0], properties={"mrr_cents": 900, "currency": c})
              for c in CURRENCIES]
    bad = [line("c_eur", ts=TS, event="subscription_changed", workspace_id="w_eur",
                properties={"mrr_cents": 900, "currency": "EUR"}),
           line("c_num", ts=TS, event="subscription_changed", workspace_id="w_eur",
                properties={"mrr_cents": 900, "currency": 978})]
    write(raw, DAY, "events.jsonl", lines + bad)
    run_graph(raw, lake, DAY, DAY, any_target, work=tmp_path,
              options=IngestOptions(runner="inline", max_quarantine_share=0.5))
    assert sorted((q["source_line"], q["reason"]) for q in quarantine(lake, DAY)) == [
        (len(lines) + 1, "unsupported_currency"), (len(lines) + 2, "invalid_property_type")]
    assert {p for (p,) in fetch(any_target, "select platform from marts.fct_events")} == set(PLATFORMS)
    assert {c for (c,) in fetch(any_target, "select currency from intermediate."
                                            "int_subscription_events")} == set(CURRENCIES)
    assert fetch(any_target, "select cast(batch_date as varchar) from "
                             "pulse_meta.published_batches") == [(str(DAY),)]
