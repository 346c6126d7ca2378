"""Currencies per line (finmodel.model.fx, the FX sheet): the rate path by hand (PPP, devaluation, a yearly table), the
conversion of each line in its own currency and of a share indexed to the model currency, a re-stated scenario
equal to its USD statement, the FX factor moving only the lines in its currency, the FX process centred on the
fx path (its median is the path; volatility 0 reproduces the deterministic case), and the validation rules.

Tolerances: rates and conversions are a few float64 products, asserted at 1e-12 relative; a scenario re-stated
in ringgit at a constant rate differs from its USD statement only by the rounding of x * 4.3 / 4.3 (1e-16
relative per line), asserted at 1e-9 on every metric; the median of 20,000 simulated factors is within 4 standard
errors (~0.01 at volatility 0.2 after 28 years) of 1.
"""

from __future__ import annotations

import copy
import math
from pathlib import Path

import numpy as np
import pytest
import yaml
from click.testing import CliRunner

from cli import main
from finmodel.errors import InputError
from finmodel.inputs.validation import scenario_from_dict
from finmodel.model import engine
from finmodel.risk import drivers as drv
from finmodel.risk import simulation
from finmodel.schema import load_raw

ROOT = Path(__file__).resolve().parent.parent
BOLIVIA = ROOT / "scenarios" / "bolivia_santa_cruz.yaml"
IRAQ = ROOT / "scenarios" / "iraq_bismaya.yaml"


def _raw(path):
    return load_raw(path)


def _run(raw, case="base"):
    sc = scenario_from_dict(copy.deepcopy(raw), "test")
    return engine.run_scenario(sc, [case])[0]


@pytest.fixture(scope="module")
def bolivia():
    return engine.run(BOLIVIA, ["base", "devaluation"])


def _years(r):
    return r.row("model_year")


def test_ppp_rate_and_conversion_by_hand(bolivia):
    base = bolivia[0]
    y = _years(base)
    rate = 6.96 * (1.05 / 1.02) ** (y - 1)
    assert base.row("fx_bob_rate") == pytest.approx(rate, rel=1e-12)
    assert base.row("fx_bob_value") == pytest.approx(1 / rate, rel=1e-12)
    for line in ("revenue1", "revenue2", "opex1"):  # the BOB lines, converted at the period's rate
        assert base.row(line) == pytest.approx(base.row(f"{line}_local") / rate, rel=1e-12, abs=1e-9), line
    # a BOB line indexed at Bolivian inflation keeps its USD value under PPP: USD 36 m growing at 2 %
    op = base.row("operation_flag") > 0
    usd = 36e6 / 2 * 1.02 ** (y - 1)
    assert base.row("revenue1")[op] == pytest.approx(usd[op], rel=1e-12)
    assert "lifecycle1_local" not in base.values and "grant3_scheduled_local" not in base.values  # USD lines


def test_devaluation_case_steps_the_rate_from_its_year(bolivia):
    base, dev = bolivia
    y = _years(base)
    ratio = dev.row("fx_bob_rate") / base.row("fx_bob_rate")
    assert ratio == pytest.approx(np.where(y >= 5, 1 / 0.7, 1.0), rel=1e-12)
    assert dev.row("revenue1")[y >= 5] == pytest.approx(0.7 * base.row("revenue1")[y >= 5], rel=1e-12)
    assert dev.row("lifecycle1") == pytest.approx(base.row("lifecycle1"), rel=1e-12)  # USD: not moved
    assert dev.metrics()["min_dscr"] < base.metrics()["min_dscr"]


def test_rate_table_carries_the_last_year_forward():
    raw = _raw(BOLIVIA)
    raw["fx"]["BOB"] = {"spot": 6.96, "rates": [6.96, 7.5, 9.0]}
    r = _run(raw)
    y = _years(r)
    assert r.row("fx_bob_rate") == pytest.approx(np.select([y == 1, y == 2], [6.96, 7.5], 9.0), rel=1e-12)


def test_hard_currency_share_keeps_its_value_in_the_model_currency():
    r = engine.run(IRAQ, ["base"])[0]
    rate, local = r.row("fx_iqd_rate"), r.row("revenue1_local")
    assert r.row("revenue1") == pytest.approx(local * (0.5 / rate + 0.5 / 1310.0), rel=1e-12, abs=1e-9)
    raw = _raw(IRAQ)
    raw["revenues"][0]["hard_currency_share"] = 1.0  # all of it follows the USD: no FX risk, no PPP erosion
    full = _run(raw)
    assert full.row("revenue1") == pytest.approx(full.row("revenue1_local") / 1310.0, rel=1e-12, abs=1e-9)


def _usd_statement(raw):
    """The default scenario with every MYR line stated in USD at the constant 4.30 and no fx block."""
    raw = copy.deepcopy(raw)
    spot = raw["fx"]["MYR"]["spot"]
    for block in ("revenues", "opex", "lifecycle"):
        for line in raw.get(block, []):
            if line.pop("currency", None) == "MYR":
                for k in ("amount", "tariff"):
                    if k in line:
                        line[k] = line[k] / spot
    del raw["fx"]
    raw["risk"].pop("fx", None)
    return raw


def test_restated_scenario_equals_its_usd_statement():
    raw = _raw(None)
    myr, usd = _run(raw).metrics(), _run(_usd_statement(raw)).metrics()
    assert myr.keys() == usd.keys()
    for k, v in usd.items():
        if v is None:
            assert myr[k] is None, k
        else:
            assert myr[k] == pytest.approx(v, rel=1e-9, abs=1e-6), k


def test_fx_factor_moves_only_the_lines_in_its_currency(bolivia):
    base = bolivia[0]
    m, T = base.model, base.model.periods
    ov = {"in_fx_factor": np.full((2, T), 1.1)}
    v = m.evaluate({**base.solved, **ov}, paths=2)
    for line in ("revenue1", "revenue2", "opex1"):  # BOB
        assert v[line][0] == pytest.approx(1.1 * base.row(line), rel=1e-12, abs=1e-9), line
    for line in ("lifecycle1", "grant3", "capex"):  # USD
        assert v[line][0] == pytest.approx(base.row(line), rel=1e-12, abs=1e-9), line


def test_fx_process_is_centred_on_the_path():
    """The simulated factor is exp(v sqrt(dt) sum z): median 1 in every period, exactly 1 at volatility 0."""
    raw = _raw(BOLIVIA)
    raw["risk"] = {"fx": {"volatility": 0.2}}
    sc = scenario_from_dict(raw, "test")
    timing = drv.Timing.of(sc)
    n, T = 20_000, timing.periods
    rng = np.random.default_rng(7)
    z0, zt = rng.standard_normal((n, 1)), rng.standard_normal((n, T - 1, 1))
    f = drv.sample(sc.risk, timing, z0, zt, rng.standard_normal(n)).fx
    se = 0.2 * math.sqrt(T / timing.periods_per_year) * 1.2533 / math.sqrt(n)  # s.e. of a normal median
    assert abs(np.log(np.median(f[:, -1]))) < 4 * se
    assert abs(np.log(f[:, -1]).mean()) < 4 * se
    raw["risk"] = {"fx": {"volatility": 0.0}}
    sc0 = scenario_from_dict(raw, "test")
    assert np.array_equal(drv.sample(sc0.risk, timing, z0, zt, rng.standard_normal(n)).fx, np.ones((n, T)))


def test_bolivia_with_every_volatility_zero_is_the_deterministic_case(tmp_path):
    raw = _raw(BOLIVIA)
    raw["risk"] = {
        "capex_overrun": {"kind": "fixed", "value": 1.0},
        "opex": {"kind": "fixed", "value": 1.0},
        "demand": {"sd": 0.0},
        "fx": {"volatility": 0.0},
        "base_rate": {"volatility": 0.0},
        "inflation": {"sd": 0.0},
        "political_event": {"annual_probability": 0.0},
    }
    path = tmp_path / "zero.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    sc, det = simulation.prepare(str(path))
    res = simulation.simulate(str(path), paths=4, seed=2, chunk_size=4, prepared=(sc, det))
    metrics = det.metrics()
    for name in simulation.PATH_METRICS:
        assert res.paths_data[name] == pytest.approx(np.full(4, metrics[name]), rel=1e-12, abs=1e-12), name


@pytest.mark.parametrize(
    "change, where, words",
    [
        (lambda r: r["revenues"][0].update(currency="EUR"), "revenues.0.currency", "found 'EUR'"),
        (lambda r: r["opex"][0].update(hard_currency_share=0.5), "opex.0", "hard_currency_share"),
        (lambda r: r["revenues"][2].update(hard_currency_share=0.5), "revenues.2", "hard_currency_share"),
        (lambda r: r["lifecycle"][0].update(hard_currency_share=0.5), "lifecycle.0", "hard_currency_share"),
        (
            lambda r: r["revenues"][0].update(currency="USD", hard_currency_share=0.5),
            "revenues.0.hard_currency_share",
            "expected 0 on a line in the model currency",
        ),
        (lambda r: r["risk"]["fx"].update(drift=-0.01), "risk.fx.drift", "centred on the scenario's fx path"),
        (lambda r: r["risk"]["fx"].update(currency="IQD"), "risk.fx.currency", "found 'IQD'"),
        (lambda r: r.update(fx={"USD": {"spot": 1.0}}), "fx.USD", "other than the model currency"),
        (lambda r: r["fx"]["BOB"].update(depreciation=0.02), "fx.BOB", "at most one of depreciation, ppp or rates"),
        (lambda r: r["fx"]["BOB"].update(devaluation={"year": 41, "size": 0.3}), "fx.BOB.devaluation.year", "1 to 40"),
        (lambda r: r["fx"]["BOB"].update(spot=0), "fx.BOB.spot", "expected a value > 0, found 0"),
    ],
)
def test_bad_currency_inputs_are_refused(change, where, words):
    raw = _raw(BOLIVIA)
    change(raw)
    with pytest.raises(InputError) as err:
        scenario_from_dict(raw, "test")
    text = str(err.value)
    assert where in text and words in text, text


def test_risk_fx_without_another_currency_is_refused_at_the_command_line(tmp_path):
    raw = _usd_statement(_raw(None))
    raw["risk"]["fx"] = {"volatility": 0.06}
    path = tmp_path / "usd only [x].yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    res = CliRunner().invoke(main, ["validate", str(path)])
    assert res.exit_code == 2, res.output
    assert "risk.fx" in res.output and "no fx block" in res.output and "Traceback" not in res.output


def test_fx_sheet_is_in_the_workbook(tmp_path):
    from finmodel import api

    book = tmp_path / "bolivia.xlsx"
    api.run(BOLIVIA, None, workbook=book)
    import openpyxl

    wb = openpyxl.load_workbook(book)
    assert "FX" in wb.sheetnames
    text = [str(c.value) for row in wb["FX"].iter_rows() for c in row if isinstance(c.value, str)]
    assert any("BOB per USD" in t for t in text) and any(t.startswith("=") for t in text)
    names = set(wb.defined_names)
    assert {"in_fx_bob_spot", "in_fx_bob_local_inflation", "in_fx_bob_devaluation"} <= names


# --- a loan in another currency ----------------------------------------------------------------------------------

KRW_SPOT = 1380.0  # an estimate: KRW per USD


def _krw_edcf(depreciation: float) -> dict:
    """Bolivia with its EDCF loan (fixed USD 180 m at 0.15 %, equal instalments) stated in KRW at the spot rate."""
    raw = _raw(BOLIVIA)
    raw["fx"]["KRW"] = {"spot": KRW_SPOT, "depreciation": depreciation, "source": "estimate"}
    edcf = raw["debt"]["facilities"][0]
    edcf["currency"], edcf["amount"] = "KRW", edcf["amount"] * KRW_SPOT
    return raw


def test_a_loan_in_krw_at_a_constant_rate_equals_its_usd_statement():
    usd, krw = _run(_raw(BOLIVIA)).metrics(), _run(_krw_edcf(0.0)).metrics()
    assert set(usd) <= set(krw)
    for name, value in usd.items():
        if isinstance(value, float) and math.isfinite(value):
            assert krw[name] == pytest.approx(value, rel=1e-9, abs=1e-9), name


def test_a_loan_in_krw_is_owed_in_krw_by_hand():
    dep = -0.02  # the won gains 2 % a year on the dollar: the USD cost of the loan rises
    r = _run(_krw_edcf(dep))
    ops = r.row("operation_flag") > 0
    fx = r.row("d1_fx")  # USD per KRW: at close through construction, then the FX sheet's
    years = _years(r)
    np.testing.assert_allclose(fx[~ops], 1 / KRW_SPOT, rtol=1e-15)
    np.testing.assert_allclose(fx[ops], (1 / KRW_SPOT) / (1 + dep) ** (years[ops] - 1), rtol=1e-12)
    amount = 180e6 * KRW_SPOT
    assert r.row("d1_draw_own").sum() == pytest.approx(amount, rel=1e-12)  # drawn in full, in KRW
    # the balance owed in KRW follows the KRW schedule; in USD it is revalued each period
    own = r.row("d1_closing") / fx
    np.testing.assert_allclose(own[ops], amount * (1 - r.row("d1_cum_profile")[ops]), rtol=1e-9, atol=1e-3)
    t = int(np.argmax(ops)) + 3
    assert r.row("d1_opening")[t] == pytest.approx(r.row("d1_closing")[t - 1] * fx[t] / fx[t - 1], rel=1e-12)
    rate = r.row("d1_period_rate")[t]
    assert r.row("d1_interest_due")[t] == pytest.approx(own[t - 1] * rate * fx[t], rel=1e-12)
    assert r.checks()["master_check"]
    # the grant element is the loan's terms: its flows in KRW (DAC: in the loan's currency), discounted at the
    # grant-element rate; the all-in cost is the borrower's, in USD, and carries the won's rise
    m = r.metrics()
    disc = (1 + r.values["in_ge_discount_rate"][0, 0]) ** -(r.row("period") / 2)
    cons = r.row("construction_flag")
    ds = cons * r.row("d1_interest") + r.row("d1_interest_paid") + r.row("d1_principal_paid")
    by_hand = 1 - np.sum(ds / fx * disc) / np.sum(r.row("d1_draw") / fx * disc)
    assert m["d1_grant_element"] == pytest.approx(by_hand, rel=1e-12)
    usd = _run(_raw(BOLIVIA)).metrics()
    assert m["d1_grant_element"] == pytest.approx(usd["d1_grant_element"], abs=1e-4)  # drawdown timing only
    assert m["d1_all_in_cost"] > (1 + usd["d1_all_in_cost"]) * (1 - dep) - 1 - 1e-3


@pytest.mark.parametrize(
    ("change", "where", "words"),
    [
        ({"share": 1.0, "amount": None}, "debt.facilities.0.share", "expected a fixed amount (in KRW)"),
        ({"repayment": "sculpted"}, "debt.facilities.0.repayment", "found sculpted"),
        ({"currency": "EUR"}, "debt.facilities.0.currency", "needs its path in the fx block"),
    ],
)
def test_a_loan_in_another_currency_is_refused_where_it_cannot_be_modelled(change, where, words):
    raw = _krw_edcf(0.0)
    raw["debt"]["facilities"][0].update(change)
    raw["debt"]["facilities"][0] = {k: x for k, x in raw["debt"]["facilities"][0].items() if x is not None}
    raw["debt"]["facilities"][2]["share"] = 1.0
    with pytest.raises(InputError) as e:
        scenario_from_dict(raw, "test")
    assert where in str(e.value) and words in str(e.value)


def test_a_loan_in_krw_recalculates_in_libreoffice(tmp_path, recalc):
    from finmodel import api
    from finmodel.workbook import parity

    src = tmp_path / "bolivia krw edcf.yaml"
    src.write_text(yaml.safe_dump(_krw_edcf(-0.02), sort_keys=False), encoding="utf-8")
    path = tmp_path / "krw.xlsx"
    result = api.run(str(src), ["base"], workbook=path).results[0]
    assert result.checks()["master_check"]
    assert parity.compare(result, path, recalc(path)) == []
