"""The web application's frame, without a browser: formats, languages, charts, the
catalogues, the sign-in redirect target and the pages' answers (in-process client)."""

from __future__ import annotations

import itertools
import re
from decimal import Decimal
from pathlib import Path
from xml.etree import ElementTree

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st

from convenio.api.app import create_app
from convenio.settings import Settings
from convenio.store import Store
from convenio.web import catalog
from convenio.web.charts import Bar, Series, bar_chart, line_chart
from convenio.web.i18n import Formats, choose_language
from convenio.web.pages.home import _safe_next
from convenio.web.render import PAGE_POLICY

SVG = "{http://www.w3.org/2000/svg}"


def _grouped(digits: str, mark: str) -> str:
    """Thousands grouping written out by hand: the judge of Babel's."""
    groups = []
    while len(digits) > 3:
        digits, tail = digits[:-3], digits[-3:]
        groups.insert(0, tail)
    return mark.join([digits, *groups])


@given(st.integers(min_value=0, max_value=10**15), st.integers(min_value=0, max_value=99))
def test_money_reads_as_each_locale_writes_it(whole: int, cents: int) -> None:
    value = Decimal(f"{whole}.{cents:02d}")
    assert Formats("es").money(value, "USD") == f"{_grouped(str(whole), '.')},{cents:02d}\u00a0USD"
    assert Formats("en").money(value, "USD") == f"{_grouped(str(whole), ',')}.{cents:02d}\u00a0USD"


def test_figures_keep_every_decimal_and_never_pass_through_float() -> None:
    es, en = Formats("es"), Formats("en")
    assert es.money(Decimal("1234567.89"), "USD") == "1.234.567,89\u00a0USD"
    assert en.money(Decimal("1234567.89"), "USD") == "1,234,567.89\u00a0USD"
    # 0.1 + 0.2 as floats is 0.30000000000000004; as exact decimals it stays 0.3.
    assert en.number(Decimal("0.1") + Decimal("0.2")) == "0.3"
    assert es.money(Decimal("0.125"), "USD") == "0,125\u00a0USD"  # a third decimal is kept
    assert en.money(5, "USD") == "5.00\u00a0USD"
    assert es.quantity(Decimal("53000"), "bbl") == "53.000\u00a0bbl"
    assert en.date("2012-03-31") == "Mar 31, 2012"
    assert es.date("2012-03-31").startswith("31 mar")


@pytest.mark.parametrize(
    ("asked", "cookie", "chosen"),
    [("en", "es", "en"), (None, "en", "en"), (None, None, "es"), ("de", "xx", "es")],
)
def test_the_language_asked_then_remembered_else_spanish(
    asked: str | None, cookie: str | None, chosen: str
) -> None:
    assert choose_language(asked, cookie) == chosen


@given(st.lists(st.integers(min_value=-(10**6), max_value=10**6), min_size=1, max_size=40))
def test_bar_heights_are_proportional_to_the_values(values: list[int]) -> None:
    bars = [Bar(f"Q{i}", Decimal(v)) for i, v in enumerate(values)]
    svg = ElementTree.fromstring(str(bar_chart("a chart", bars)))
    rects = svg.findall(f"{SVG}rect")
    assert len(rects) == len(values)
    span = max([*values, 0]) - min([*values, 0])
    for value, rect in zip(values, rects, strict=True):
        assert ("negative" in rect.get("class", "")) == (value < 0)
        if span:
            # Drawn to a tenth of a pixel: within rounding of the exact proportion.
            expected = Decimal(abs(value)) * Decimal(240 - 28 - 12) / Decimal(span)
            assert abs(Decimal(rect.get("height", "0")) - expected) <= Decimal("0.2")


def test_a_line_chart_names_each_series_and_escapes_labels() -> None:
    svg = line_chart(
        "position <by> quarter",
        ["2011Q4", "2012Q1"],
        [Series("VEN & CUB", [Decimal(1), Decimal(2)]), Series("net", [Decimal(-1), Decimal(3)])],
    )
    tree = ElementTree.fromstring(str(svg))  # well-formed: everything escaped
    assert tree.get("aria-label") == "position <by> quarter"
    assert [p.find(f"{SVG}title").text for p in tree.findall(f"{SVG}polyline")] == [  # type: ignore[union-attr]
        "VEN & CUB",
        "net",
    ]
    assert "style=" not in str(svg)  # the pages' policy forbids inline styles


def test_the_spanish_catalogues_are_complete_and_compiled() -> None:
    assert catalog.problems() == []


@pytest.mark.parametrize(
    ("target", "safe"),
    [
        ("/settlement/runs/x", "/settlement/runs/x"),
        ("//evil.example/x", "/"),
        ("/\\evil.example/x", "/"),
        ("/overview\\..", "/"),
        ("/over\nview", "/"),
        ("https://evil.example/", "/"),
        ("", "/"),
        (None, "/"),
    ],
)
def test_after_sign_in_only_a_path_of_this_site(target: str | None, safe: str) -> None:
    assert _safe_next(target) == safe


@pytest.fixture
def client(tmp_path: Path) -> TestClient:
    store = Store(f"sqlite:///{tmp_path / 'convenio.db'}")
    return TestClient(create_app(store, Settings(data_dir=tmp_path)))


def test_pages_answer_html_with_the_strict_policy_and_the_api_keeps_problems(
    client: TestClient,
) -> None:
    with client:
        page = client.get("/signin?lang=en", headers={"Accept-Language": "es-VE"})
        assert page.status_code == 200
        assert page.headers["content-security-policy"] == PAGE_POLICY
        assert "'unsafe-inline'" not in page.headers["content-security-policy"]
        assert page.headers["content-language"] == "en"
        assert re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page.text) is None  # none inline
        assert page.cookies.get("convenio_lang") == "en"  # the choice is remembered
        client.cookies.clear()
        missing = client.get("/no-such-page")
        assert missing.status_code == 404
        assert missing.headers["content-type"].startswith("text/html")
        assert "No encontrado" in missing.text  # Spanish by default
        api = client.get("/api/v1/no-such-route")
        assert api.status_code == 404
        assert api.headers["content-type"] == "application/problem+json"
        assert client.get("/static/htmx.min.js").status_code == 200
        assert client.get("/", follow_redirects=False).headers["location"] == "/public"


def test_a_form_without_the_sessions_token_writes_nothing(client: TestClient) -> None:
    with client:
        refused = client.post("/signout", data={"form_token": "forged"})
        assert refused.status_code == 403
        other = client.post(
            "/signout", data={"form_token": ""}, headers={"Origin": "https://evil.example"}
        )
        assert other.status_code == 403
        # Nor may another site sign a reader in (as an account of its choosing).
        foreign = client.post(
            "/signin",
            data={"login": "someone", "password": "a long enough password"},
            headers={"Origin": "https://evil.example"},
        )
        assert foreign.status_code == 403 and "convenio_session" not in foreign.cookies


def test_templates_import_the_macros_with_the_pages_context() -> None:
    """Without it a form's token renders empty and every write is refused."""
    templates = Path(catalog.WEB / "templates")
    loose = [
        str(path.relative_to(templates))
        for path in templates.rglob("*.html")
        if re.search(r'{%\s*import\s+"macros.html"\s+as\s+\w+\s*%}', path.read_text())
    ]
    assert loose == []


def test_each_language_keeps_its_own_words_from_request_to_request(client: TestClient) -> None:
    with client:
        for language, word in [("en", "Password"), ("es", "Contraseña"), ("en", "Password")]:
            page = client.get(f"/signin?lang={language}")
            assert f'<html lang="{language}">' in page.text
            assert f'<label for="password">{word}</label>' in page.text
            assert page.headers["referrer-policy"] == "same-origin"


def test_a_charts_axis_reads_in_the_locale_shortened() -> None:
    assert Formats("es").compact(Decimal("2418930415.80")) == "2418,9\u00a0M"
    assert Formats("en").compact(Decimal("2418930415.80")) == "2.4B"
    svg = str(bar_chart("t", [Bar("2011", Decimal("1500000"))], axis=Formats("es").compact))
    assert "1,5\u00a0M" in svg and "1.500.000" not in svg


@given(st.integers(min_value=1, max_value=400))
def test_a_line_charts_labels_keep_apart_and_name_both_ends(count: int) -> None:
    from convenio.web.charts import _labelled

    chosen = [i for i, _ in _labelled(count)]
    assert chosen[0] == 0 and chosen[-1] == count - 1
    assert len(chosen) <= 7
    every = -(-count // 6)
    gaps = [b - a for a, b in itertools.pairwise(chosen)]
    assert all(gap >= every * 3 // 4 for gap in gaps), gaps
