"""The live workbook: every model row written as Excel formulas (FAST layout), and read back as a scenario.

Writing (:func:`finmodel.workbook.writer.write_workbook`, which calls the others):

- :mod:`~finmodel.workbook.layout`: where everything goes (sheets, rows of inputs and model rows, defined names);
- :mod:`~finmodel.workbook.headers`: the frame of every sheet (title, master check, period rows, headings);
- :mod:`~finmodel.workbook.inputs` (with :mod:`~finmodel.workbook.data_validation`): the Inputs sheet;
- :mod:`~finmodel.workbook.calculation`: the calculation sheets, one formula per row;
- :mod:`~finmodel.workbook.cover`, :mod:`~finmodel.workbook.cases`, :mod:`~finmodel.workbook.checks`,
  :mod:`~finmodel.workbook.annual`, :mod:`~finmodel.workbook.charts`: the Cover, Cases, Checks, Annual and Charts
  sheets (:mod:`~finmodel.workbook.chart_specs`: the charts, also drawn as PNGs by :mod:`~finmodel.workbook.pngs`);
- :mod:`~finmodel.workbook.links`: every linking cell around the model rows with the value it must show
  (:mod:`finmodel.workbook.parity` compares them after a recalculation);
- :mod:`~finmodel.workbook.selector`: the live case selector; :mod:`~finmodel.workbook.cells`,
  :mod:`~finmodel.workbook.styles`: cell primitives, named styles and the template.

Reading: :mod:`~finmodel.workbook.read` (a workbook finmodel wrote -> its inputs as edited, checked as hostile
input), :mod:`~finmodel.workbook.scenario_paths` (model input <-> scenario field), :mod:`~finmodel.api.workbook_source`
(a run's scenario from a YAML file or an edited workbook).

Nothing here is imported by the package: import the module you need (``from finmodel.workbook import writer``).
"""
