"""The outputs layer: what a run produces. The JSON output contract (:mod:`~finmodel.outputs.contract`), the
terminal summary (:mod:`~finmodel.outputs.summary`), the pandas results (:mod:`~finmodel.outputs.results`), the
metric definitions in words (:mod:`~finmodel.outputs.definitions`), the grant-element tables
(:mod:`~finmodel.outputs.grant_report`) and the generated docs (:mod:`~finmodel.outputs.docs`). See
docs/architecture.md."""
