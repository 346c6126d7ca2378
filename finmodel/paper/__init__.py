"""The credit paper (``finmodel report``): results already computed, written as a self-contained HTML page and an
A4 PDF. :mod:`~finmodel.paper.sections` gathers the facts, :mod:`~finmodel.paper.charts` draws them as SVG,
:mod:`~finmodel.paper.numbers` formats them, :mod:`~finmodel.paper.render` writes the page. Nothing here runs the
model: :func:`finmodel.report` does, then hands the results on."""

from finmodel.paper.render import html, pdf_bytes, write
from finmodel.paper.sections import Inputs, gather

__all__ = ["Inputs", "gather", "html", "pdf_bytes", "write"]
