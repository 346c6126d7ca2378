"""The inputs layer: loading a scenario (:mod:`~finmodel.inputs.validation`), the policy rules
(:mod:`~finmodel.inputs.policy`) and, as data and pure functions, what they need: instrument eligibility, the grant
element, instrument presets, a scenario's findings, the cover rules and data, the country table, plausibility ranges
and withholding rates. Nothing here imports the model. See docs/architecture.md."""
