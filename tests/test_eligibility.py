"""Tests of finmodel.inputs.eligibility (one test per rule, both sides of its threshold) and presets."""

import pytest

from finmodel.errors import InputError
from finmodel.inputs import eligibility as el
from finmodel.inputs.countries import get_country
from finmodel.inputs.grant_element import grant_element_closed_form
from finmodel.inputs.instruments import edcf_group_for, preset, preset_names

VNM, MYS, KOR, KHM, ETH = (get_country(c) for c in ("VNM", "MYS", "KOR", "KHM", "ETH"))


def rules(findings):
    return [(f.rule, f.severity) for f in findings]


def test_every_finding_names_rule_and_source():
    fs = el.edpf_share_85(0.9)
    assert fs[0].rule == "EDPF-SHARE-85" and "koreaexim" in fs[0].message and "EDPF-SHARE-85" in fs[0].message
    assert set(el.RULES) >= {
        "EDCF-INCOME",
        "EDCF-AID-PROJECT",
        "EDPF-INCOME",
        "EDPF-SHARE-85",
        "EDPF-TENOR-20",
        "EDPF-GRACE-5",
        "DAC-ODA-GE",
        "HELSINKI-MIN-CONCESSIONALITY",
        "HELSINKI-LMIC-CEILING",
        "HELSINKI-COMMERCIAL-VIABILITY",
        "SME-PREFERENCE",
    }


def test_edcf_income():
    assert el.edcf_income(VNM) == [] and el.edcf_income(ETH) == []
    assert rules(el.edcf_income(MYS)) == [("EDCF-INCOME", "warning")]
    assert rules(el.edcf_income(KOR)) == [("EDCF-INCOME", "error")]


def test_edcf_aid_project():
    assert el.edcf_aid_project(VNM, commercially_viable=False) == []
    assert rules(el.edcf_aid_project(VNM, commercially_viable=True)) == [("EDCF-AID-PROJECT", "error")]
    assert rules(el.edcf_aid_project(KHM, commercially_viable=True)) == [("EDCF-AID-PROJECT", "warning")]


def test_edpf_income():
    assert el.edpf_income(MYS) == [] and el.edpf_income(VNM) == []
    assert rules(el.edpf_income(ETH)) == [("EDPF-INCOME", "warning")]
    assert rules(el.edpf_income(KOR)) == [("EDPF-INCOME", "error")]


def test_edpf_share_85():
    assert el.edpf_share_85(0.85) == []
    fs = el.edpf_share_85(0.8501, field_path="debt.facilities.0.share_of_project_cost")
    assert rules(fs) == [("EDPF-SHARE-85", "error")] and fs[0].field_path.endswith("share_of_project_cost")


def test_edpf_tenor_20():
    assert el.edpf_tenor_20(20) == [] and el.edpf_tenor_20(20, window="sovereign") == []
    assert rules(el.edpf_tenor_20(20.5)) == [("EDPF-TENOR-20", "error")]
    with pytest.raises(InputError):
        el.edpf_tenor_20(20, window="both")


def test_edpf_grace_5():
    assert el.edpf_grace_5(5) == []
    assert rules(el.edpf_grace_5(5.5)) == [("EDPF-GRACE-5", "error")]


def test_dac_oda_ge():
    # LMIC: 15 % at 7 %. EDCF Sri Lanka-type terms pass by far; a 6 % 10-year loan fails.
    assert el.dac_oda_ge(VNM, annual_rate=0.0015, maturity_years=40, grace_years=10) == []
    fs = el.dac_oda_ge(VNM, annual_rate=0.06, maturity_years=10, grace_years=2)
    assert rules(fs) == [("DAC-ODA-GE", "error")] and "15.00 %" in fs[0].message
    # at the threshold: pick the rate whose GE is just above / below 45 % for an LDC at 9 %
    ge_hi = grant_element_closed_form(0.035, 30, 8, 0.09)  # 46.99 %
    ge_lo = grant_element_closed_form(0.040, 30, 8, 0.09)  # 42.56 %
    assert ge_hi > 0.45 > ge_lo
    assert el.dac_oda_ge(ETH, annual_rate=0.035, maturity_years=30, grace_years=8) == []
    fs = el.dac_oda_ge(ETH, annual_rate=0.040, maturity_years=30, grace_years=8, severity="warning")
    assert rules(fs) == [("DAC-ODA-GE", "warning")]
    fs = el.dac_oda_ge(KOR, annual_rate=0.0, maturity_years=30, grace_years=8)
    assert rules(fs) == [("DAC-ODA-GE", "error")]


def test_helsinki_min_concessionality():
    terms = dict(annual_rate=0.0015, maturity_years=40, grace_years=10)
    assert el.helsinki_min_concessionality_rule(VNM, tied=True, cirr=0.045, **terms) == []
    hard = dict(annual_rate=0.03, maturity_years=20, grace_years=5)
    fs = el.helsinki_min_concessionality_rule(VNM, tied=True, cirr=0.045, **hard)
    assert rules(fs) == [("HELSINKI-MIN-CONCESSIONALITY", "error")] and "35.00 %" in fs[0].message
    assert el.helsinki_min_concessionality_rule(VNM, tied=False, cirr=0.045, **hard) == []
    # LDC needs 50 %: terms between 35 % and 50 % pass for Vietnam, fail for Cambodia
    mid = dict(annual_rate=0.01, maturity_years=25, grace_years=7)
    level = grant_element_closed_form(0.01, 25, 7, 0.059)
    assert 0.35 < level < 0.50
    assert el.helsinki_min_concessionality_rule(VNM, tied=True, cirr=0.045, **mid) == []
    assert rules(el.helsinki_min_concessionality_rule(KHM, tied=True, cirr=0.045, **mid)) == [
        ("HELSINKI-MIN-CONCESSIONALITY", "error")
    ]
    assert rules(el.helsinki_min_concessionality_rule(VNM, tied=True, cirr=None, **mid)) == [
        ("HELSINKI-MIN-CONCESSIONALITY", "warning")
    ]


def test_helsinki_lmic_ceiling():
    assert el.helsinki_lmic_ceiling(VNM, tied=True) == []
    assert el.helsinki_lmic_ceiling(MYS, tied=False) == []
    assert el.helsinki_lmic_ceiling(MYS, tied=True, concessionality=0.80) == []
    assert rules(el.helsinki_lmic_ceiling(MYS, tied=True, concessionality=0.79)) == [("HELSINKI-LMIC-CEILING", "error")]
    assert rules(el.helsinki_lmic_ceiling(MYS, tied=True)) == [("HELSINKI-LMIC-CEILING", "error")]


def test_helsinki_commercial_viability():
    assert el.helsinki_commercial_viability(VNM, tied=True, commercially_viable=False) == []
    assert el.helsinki_commercial_viability(VNM, tied=False, commercially_viable=True) == []
    assert el.helsinki_commercial_viability(KHM, tied=True, commercially_viable=True) == []  # LDC exempt
    assert rules(el.helsinki_commercial_viability(VNM, tied=True, commercially_viable=True)) == [
        ("HELSINKI-COMMERCIAL-VIABILITY", "error")
    ]


def test_sme_preference():
    assert el.sme_preference(sme_participation=True, loan_margin_preference=-0.003) == []
    assert el.sme_preference(sme_participation=True, loan_margin_preference=-0.010) == []
    assert rules(el.sme_preference(sme_participation=True, loan_margin_preference=-0.011)) == [
        ("SME-PREFERENCE", "error")
    ]
    fs = el.sme_preference(sme_participation=True, loan_margin_preference=0.003)  # sign error: 0.3 %p "off"
    assert rules(fs) == [("SME-PREFERENCE", "error")] and "lowers" in fs[0].message
    assert rules(el.sme_preference(sme_participation=False, loan_margin_preference=-0.003)) == [
        ("SME-PREFERENCE", "error")
    ]
    assert el.sme_preference(sme_participation=True, sme_only=True, guarantee_fee_preference=-0.001) == []
    fs = el.sme_preference(sme_participation=True, sme_only=True, guarantee_fee_preference=-0.002)
    assert rules(fs) == [("SME-PREFERENCE", "error")]
    assert rules(el.sme_preference(sme_participation=True, guarantee_fee_preference=-0.001)) == [
        ("SME-PREFERENCE", "error")
    ]  # fee preference is for SME-only contracts
    assert rules(
        el.sme_preference(
            sme_participation=True, sme_only=True, guarantee_fee_preference=-0.001, loan_margin_preference=-0.003
        )
    ) == [("SME-PREFERENCE", "error")]
    assert rules(el.sme_preference(sme_participation=True)) == [("SME-PREFERENCE", "warning")]
    assert el.sme_preference(sme_participation=False) == []


def test_facility_findings_and_error_mapping():
    # the default scenario's EDPF facility (Malaysia, 20 y, 5 grace) is clean
    assert (
        el.facility_findings(
            MYS, kind="edpf", annual_rate=0.025, maturity_years=20, grace_years=5, share_of_project_cost=0.2
        )
        == []
    )
    fs = el.facility_findings(
        MYS, kind="edcf", annual_rate=0.01, maturity_years=25, grace_years=7, commercially_viable=True, cirr=0.045
    )
    assert {f.rule for f in fs} == {
        "EDCF-INCOME",
        "EDCF-AID-PROJECT",
        "HELSINKI-LMIC-CEILING",
        "HELSINKI-COMMERCIAL-VIABILITY",
    }
    with pytest.raises(InputError) as exc:
        el.errors_to_input_error(fs)
    assert len(exc.value.problems) == 3  # the UMIC warning is not an error
    el.errors_to_input_error([f for f in fs if f.severity == "warning"])  # no raise
    assert el.facility_findings(MYS, kind="commercial") == []
    # sculpted repayment: closed-form tests skipped, the others still run
    fs = el.facility_findings(
        VNM, kind="edcf", annual_rate=0.05, maturity_years=20, grace_years=3, repayment="sculpted"
    )
    assert fs == []


# --- presets ------------------------------------------------------------------------------------------


def test_presets_documented():
    for name in preset_names():
        p = preset(name)
        for key in p:
            par = p.param(key)
            assert par.source and par.date and par.confidence in ("H", "M", "S", "L"), (name, key)
    assert preset("edcf_group_3")["annual_rate"] == 0.0015
    assert preset("edpf_non_sovereign")["max_share_of_project_cost"] == 0.85
    assert preset("edcf_group_5").param("annual_rate").estimated


def test_preset_overrides():
    p = preset("edpf_sovereign", overrides={"max_maturity_years": 25})
    assert p["max_maturity_years"] == 25 and p.param("max_maturity_years").confidence == "override"
    assert preset("edpf_sovereign")["max_maturity_years"] == 20
    with pytest.raises(InputError) as exc:
        preset("edpf_sovereign", overrides={"max_tenor": 25}, field_path="debt.facilities.0.terms")
    assert exc.value.problems[0][0] == "debt.facilities.0.terms.max_tenor"
    with pytest.raises(InputError):
        preset("edcf_group_9")


def test_edcf_group_for():
    assert edcf_group_for(KHM) == 1 and edcf_group_for(VNM) == 3 and edcf_group_for(MYS) == 5
    assert edcf_group_for(get_country("ETH", overrides={"ldc": False})) == 2
    with pytest.raises(InputError):
        edcf_group_for(KOR)
