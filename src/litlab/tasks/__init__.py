"""LightningModules: one per kind of target (classification, binary, regression, multilabel)."""
