"""Tests of the country table and its loader."""

import dataclasses

import pytest

from finmodel.countries import INCOME_GROUPS, Country, all_countries, country_table_sources, get_country
from finmodel.errors import InputError

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
    assert get_country("KEN").confidence["oecd_risk_category"] == "L"


def test_rows_are_consistent():
    codes = [c.iso3 for c in all_countries()]
    assert len(codes) == len(set(codes))
    for c in all_countries():
        assert len(c.iso3) == 3 and c.iso3.isupper()
        assert c.income_group in INCOME_GROUPS
        assert 0 <= c.oecd_risk_category <= 7
        assert set(c.confidence) == {"income_group", "oecd_risk_category", "ldc"}
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
    for col in ("income_group", "oecd_risk_category", "ldc"):
        assert src[col]["source"] and src[col]["date"]
