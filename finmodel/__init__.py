"""finmodel: project-finance modelling for Korean-supported overseas smart-city projects.

The data flow, one module per concern::

    scenario -> timeline -> operations -> debt -> waterfall -> returns -> excel
"""

__version__ = "0.1.0"
