"""The credit paper rendered: one self-contained HTML page (Jinja2, autoescaped) and the same page as an A4 PDF.

Why these tools: Jinja2 is the maintained template engine of the Python world, with autoescaping, so every user
string (a scenario named ``<script>``) is text. WeasyPrint is a maintained HTML-to-PDF renderer in pure Python
over pango: it implements paged-media CSS (``@page`` margins with running headers and ``counter(page)``, and
``target-counter()`` for the table of contents' page numbers) and needs no browser. Its URL fetcher here refuses
every URL, so rendering the PDF never reaches a network; the HTML holds no external reference to fetch anyway.
"""

from __future__ import annotations

import re

from markupsafe import Markup

_SCHEME = re.compile(r"https?:/+", re.I)
_HTTP = re.compile(r"(htt)(p)", re.I)
ZWSP = "\u200b"  # a zero-width space: breaks "//" and "http" in shown text without changing how it reads


def unlinked(text: str) -> str:
    """Text with no external reference left in it: URL schemes dropped (``https://a.org/x`` -> ``a.org/x``),
    any other ``//`` and ``http`` split by a zero-width space. Sources are shown by name, never as links."""
    text = _SCHEME.sub("", text)
    return _HTTP.sub(rf"\1{ZWSP}\2", text.replace("//", f"/{ZWSP}/"))


def _finalize(value):
    """Every ``{{ value }}`` of the template: None shown as nothing, text unlinked (then autoescaped)."""
    if value is None:
        return ""
    if isinstance(value, Markup):  # the charts: SVG written by matplotlib, unlinked in ``svg``
        return value
    return unlinked(str(value)) if isinstance(value, str) else value


def environment():
    """The Jinja2 environment of the paper: templates from the package, autoescape on, strict undefined."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("finmodel.paper", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        finalize=_finalize,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["svg"] = lambda s: Markup(unlinked(s)) if s else ""
    env.filters["num"] = lambda v: "" if v is None else repr(float(v))
    return env


def html(facts: dict) -> str:
    """The paper as one HTML document (CSS inline, charts inline SVG)."""
    env = environment()
    css = env.loader.get_source(env, "paper.css")[0]
    return env.get_template("paper.html.j2").render(paper=facts, css=Markup(css))


def _refuse(url, *args, **kwargs):
    from finmodel.errors import FinmodelError

    raise FinmodelError(f"the credit paper refers to an external resource ({unlinked(str(url))[:60]}); none is fetched")


def pdf_bytes(document: str) -> bytes:
    """The HTML rendered as an A4 PDF by WeasyPrint (no URL is ever fetched)."""
    import logging

    import weasyprint

    logging.getLogger("weasyprint").setLevel(logging.ERROR)  # font-hinting notes are not the user's business
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    return weasyprint.HTML(string=document, url_fetcher=_refuse).write_pdf()


def write(document: str, html_path=None, pdf_path=None) -> list:
    """Write the HTML and/or the PDF atomically (:func:`finmodel.files.atomic_write`); return the paths."""
    from finmodel.files import atomic_write

    written = []
    if pdf_path is not None:
        data = pdf_bytes(document)  # rendered before anything is written: a failure leaves no file
    if html_path is not None:

        def put_html(tmp):
            with open(tmp, "w", encoding="utf-8", newline="\n") as fh:
                fh.write(document)

        written.append(atomic_write(html_path, put_html))
    if pdf_path is not None:

        def put_pdf(tmp):
            with open(tmp, "wb") as fh:
                fh.write(data)

        written.append(atomic_write(pdf_path, put_pdf))
    return written
