"""Tests of the country table and its loader."""

import dataclasses
import re
from pathlib import Path

import pytest
import yaml

from finmodel.errors import InputError
from finmodel.inputs.countries import COLUMNS, INCOME_GROUPS, Country, all_countries, country_table_sources, get_country

ROOT = Path(__file__).resolve().parent.parent

DOMAIN_COUNTRIES = [
    "MYS",
    "PHL",
    "VNM",
    "UZB",
    "KWT",
    "SAU",
    "THA",
    "IDN",
    "IND",
    "MEX",
    "PER",
    "COL",
    "KEN",
    "BOL",
    "IRQ",
    "MMR",
    "LAO",
    "KOR",
    "GRC",
    "USA",
]


def test_every_domain_country_is_present():
    for code in DOMAIN_COUNTRIES:
        assert isinstance(get_country(code), Country), code
    assert len(all_countries()) >= 40


def test_domain_values_used_where_given():
    # docs/domain.md section 2 (M): Malaysia 2, Philippines 3, Vietnam 4, Uzbekistan 5
    assert [get_country(c).oecd_risk_category for c in ("MYS", "PHL", "VNM", "UZB")] == [2, 3, 4, 5]
    assert get_country("MYS").confidence["oecd_risk_category"] == "M"
    assert get_country("IRQ").confidence["oecd_risk_category"] == "L"


def test_rows_are_consistent():
    codes = [c.iso3 for c in all_countries()]
    assert len(codes) == len(set(codes))
    for c in all_countries():
        assert len(c.iso3) == 3 and c.iso3.isupper()
        assert c.income_group in INCOME_GROUPS
        assert 0 <= c.oecd_risk_category <= 7
        assert set(c.confidence) == set(COLUMNS)
        if not c.oecd_classified:  # only high-income OECD / euro-area countries are not classified
            assert c.income_group == "HIC" and c.oecd_risk_category == 0


def test_not_classified_high_income_oecd():
    kor = get_country("KOR")
    assert kor.oecd_risk_category == 0 and not kor.oecd_classified
    assert get_country("KWT").oecd_classified  # high income, not OECD: classified


def test_lookup_normalises_code_and_unknown_is_none():
    assert get_country(" mys ") == get_country("MYS")
    assert get_country("XXX") is None


def test_frozen_and_cached():
    c = get_country("VNM")
    with pytest.raises(dataclasses.FrozenInstanceError):
        c.ldc = True
    assert get_country("VNM") is c


def test_ldc_flags():
    assert get_country("LAO").ldc and get_country("ETH").ldc and get_country("KHM").ldc
    assert not get_country("VNM").ldc and not get_country("KEN").ldc
    assert get_country("ETH").lic_or_ldc and get_country("MMR").lic_or_ldc
    assert not get_country("PHL").lic_or_ldc


def test_overrides_apply_and_record_provenance():
    c = get_country("MYS", overrides={"oecd_risk_category": 3})
    assert c.oecd_risk_category == 3 and c.income_group == "UMIC"
    assert "overridden" in c.source and c.confidence["oecd_risk_category"] == "override"
    assert get_country("MYS").oecd_risk_category == 2  # the cached table is untouched
    assert not get_country("USA", overrides={"ldc": False}).oecd_classified


def test_override_not_classified_and_new_country():
    assert not get_country("MYS", overrides={"oecd_risk_category": None}).oecd_classified
    new = get_country(
        "ZZZ", overrides={"name": "Testland", "income_group": "LIC", "oecd_risk_category": 7, "ldc": True}
    )
    assert new.iso3 == "ZZZ" and new.ldc
    assert get_country("ZZZ", overrides={"ldc": True}) is None


@pytest.mark.parametrize(
    "overrides, path",
    [
        ({"income_group": "lower middle"}, "country.income_group"),
        ({"oecd_risk_category": 8}, "country.oecd_risk_category"),
        ({"oecd_risk_category": True}, "country.oecd_risk_category"),
        ({"ldc": "yes"}, "country.ldc"),
        ({"gdp": 1}, "country.gdp"),
    ],
)
def test_bad_overrides_name_the_field(overrides, path):
    with pytest.raises(InputError) as exc:
        get_country("MYS", overrides=overrides)
    assert exc.value.problems[0][0] == path


def test_sources_have_dates():
    src = country_table_sources()
    for col in ("income_group", "ldc", "dac_list"):  # one list for the whole table
        assert src[col]["source"] and src[col]["date"]
    assert src["oecd_lists"] and all(v["title"] and v["date"] for v in src["oecd_lists"].values())


ISO_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")
"""A date as precise as the list gives it: 2025, 2022-07 or 2025-07-01."""


def test_every_row_says_which_list_each_value_comes_from_and_its_date():
    for c in all_countries():
        assert set(c.sources) == set(COLUMNS), c.iso3
        for col, s in c.sources.items():
            assert s["source"] and ISO_DATE.match(s["date"]), (c.iso3, col, s)
            assert c.confidence[col] in ("H", "M", "L"), (c.iso3, col)
    raw = yaml.safe_load((ROOT / "finmodel" / "data" / "countries.yaml").read_text(encoding="utf-8"))
    assert all(row.get("oecd_list") for row in raw["countries"])  # named in the file, row by row


def test_kenya_and_bolivia_state_their_lists():
    ken, bol = get_country("KEN"), get_country("BOL")
    assert ken.oecd_risk_category == 7 and ken.sources["oecd_risk_category"]["date"] == "2022-07"
    assert "July 2022" in ken.sources["oecd_risk_category"]["source"]
    # sources disagree for Bolivia: the table takes the dated list (February 2025), a scenario overrides it
    assert bol.oecd_risk_category == 6 and bol.sources["oecd_risk_category"]["date"] == "2025-02"
    assert bol.confidence["oecd_risk_category"] == "L"
    over = get_country("BOL", overrides={"oecd_risk_category": 7})
    assert over.oecd_risk_category == 7 and "country_overrides" in over.sources["oecd_risk_category"]["source"]
    assert over.sources["income_group"] == bol.sources["income_group"]  # the rest keeps its list


def test_dac_list_groups():
    assert get_country("KWT").dac_list is None and get_country("KOR").dac_list is None  # high income
    assert get_country("LAO").dac_list == "LDC" and get_country("BOL").dac_list == "LMIC"
    assert get_country("MNG").dac_list == "LMIC" and get_country("MNG").income_group == "UMIC"  # 2022 GNI
    for c in all_countries():
        assert (c.dac_list == "LDC") == c.ldc, c.iso3  # LDCs are the list's first group
        if c.income_group == "HIC":
            assert c.dac_list is None, c.iso3


# --- finmodel countries / finmodel.countries() ------------------------------------------------------------------


def test_the_api_function_returns_the_table():
    import finmodel
    from finmodel import api

    tab = finmodel.countries()  # the API function (the data module is finmodel.inputs.countries)
    assert finmodel.countries is api.countries
    assert tab.countries == api.countries().countries == all_countries()
    df = tab.table
    assert list(df.index) == [c.iso3 for c in all_countries()]
    assert df.loc["KEN", "oecd_risk_category"] == 7 and df.loc["KEN", "oecd_risk_category_date"] == "2022-07"
    assert df["oecd_risk_category"].isna().sum() == sum(not c.oecd_classified for c in all_countries())
    for col in COLUMNS:
        assert df[f"{col}_date"].str.match(ISO_DATE).all(), col


def test_cli_countries_json_has_every_value_with_its_list_and_date(tmp_path):
    import json

    from click.testing import CliRunner

    from cli import main

    r = CliRunner().invoke(main, ["countries", "--json", "-"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.output)  # nothing else on standard output
    assert [row["iso3"] for row in data["countries"]] == [c.iso3 for c in all_countries()]
    for row in data["countries"]:
        for col in COLUMNS:
            cell = row[col]
            assert set(cell) == {"value", "source", "date", "confidence"}, (row["iso3"], col)
            assert cell["source"] and ISO_DATE.match(cell["date"]), (row["iso3"], col)
    ken = next(row for row in data["countries"] if row["iso3"] == "KEN")
    assert ken["oecd_risk_category"]["value"] == 7 and ken["oecd_risk_category"]["date"] == "2022-07"
    kor = next(row for row in data["countries"] if row["iso3"] == "KOR")
    assert kor["oecd_risk_category"]["value"] is None and kor["dac_list"]["value"] is None
    assert set(data["oecd_lists"]) == {row["oecd_list"] for row in _raw_rows()}


def _raw_rows():
    return yaml.safe_load((ROOT / "finmodel" / "data" / "countries.yaml").read_text(encoding="utf-8"))["countries"]


def test_installed_command_from_another_folder(finmodel_exe, tmp_path):
    import json
    import os
    import subprocess

    out = tmp_path / "odd [dir] é" / "countries table.json"
    out.parent.mkdir()
    env = {**os.environ, "COLUMNS": "100", "NO_COLOR": "1"}
    r = subprocess.run(
        [finmodel_exe, "countries", "--json", str(out)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert r.returncode == 0 and "Traceback" not in r.stderr, r.stderr
    assert "Kenya" in r.stdout and "7, 2022-07 (M)" in r.stdout and "2025-02" in r.stdout
    assert f"wrote {out}" in r.stdout
    assert len(json.loads(out.read_text(encoding="utf-8"))["countries"]) == len(all_countries())
    bad = subprocess.run(
        [finmodel_exe, "countries", "--json", str(tmp_path / "x.txt")],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert bad.returncode == 2 and "--json" in bad.stderr and not (tmp_path / "x.txt").exists()


def test_shipped_bolivia_scenario_overrides_the_category_with_its_reason():
    import finmodel

    for path in (
        ROOT / "scenarios" / "bolivia_santa_cruz.yaml",
        ROOT / "finmodel" / "templates" / "scenarios" / "lmic-edcf-koica.yaml",
    ):
        sc = finmodel.load(path)
        assert sc.project.country_overrides == {"oecd_risk_category": 7}, path
        assert "February 2025" in path.read_text(encoding="utf-8")
