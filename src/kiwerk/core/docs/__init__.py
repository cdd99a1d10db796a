"""Generated documentation of models (model cards, EU AI Act Annex IV spirit).

Examples
--------
>>> from kiwerk.core.docs import ModelCard
>>> card = ModelCard("Model card: x", {"Intended use": ["Testing."]})
>>> card.to_markdown().splitlines()[:3]
['# Model card: x', '', '## Intended use']
"""

from kiwerk.core.docs._card import ModelCard, build_card

__all__ = ["ModelCard", "build_card"]
