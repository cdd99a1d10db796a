"""Generated documentation of models (model cards, EU AI Act Annex IV spirit).

Examples
--------
>>> from kiwerk.core.docs import ModelCard
>>> ModelCard("Model card: x", {"Intended use": ["Testing."]}).to_markdown()
'# Model card: x\n\n## Intended use\n\nTesting.\n'
"""

from kiwerk.core.docs._card import ModelCard, build_card

__all__ = ["ModelCard", "build_card"]
