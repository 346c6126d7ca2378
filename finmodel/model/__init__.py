"""The project model: one module per sheet of the workbook (timeline, operations, fx, funding, debt, ...), the
builder context they share below them (:mod:`~finmodel.model.context`) and the engine that assembles, solves and
evaluates them above them (:mod:`~finmodel.model.engine`). See docs/architecture.md."""
